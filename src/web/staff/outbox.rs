//! The operators' outbox page: notifications by state (pending, failed,
//! held by the rate guard, sent), a page at a time, with `outbox retry`'s
//! actions — one row, every failed one, every held one — done by the writer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::{self, Method};
use super::view::{number, when};
use crate::clock::rfc3339;
use crate::store::{OutboxState, PageRequest};
use crate::web::WebState;
use crate::web::desk::StaffWrite;

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

const PAGE_SIZE: u32 = 50;
const STATES: [&str; 5] = ["pending", "failed", "held", "sent", "sending"];

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct OutboxQuery {
    state: String,
    page: u32,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    ticket: Option<String>,
    event: String,
    to: String,
    subject: String,
    state: &'static str,
    attempts: i64,
    error: String,
    created: String,
    retryable: bool,
}

pub async fn page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Peer,
    Query(q): Query<OutboxQuery>,
) -> Response {
    let staff = match auth::operator(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Get).await {
        Ok(s) => s,
        Err(answer) => return *answer,
    };
    let wanted = OutboxState::parse(q.state.trim());
    let request = PageRequest { page: q.page.max(1), size: PAGE_SIZE };
    let found = match state.reads.with(move |s| s.outbox_page(wanted, request)).await {
        Ok(p) => p,
        Err(e) => return state.failed(&e),
    };
    let rows: Vec<Row> = found
        .items
        .iter()
        .map(|r| Row {
            id: r.id,
            ticket: r.ticket_id.map(number),
            event: r.event.clone(),
            to: r.recipient.clone(),
            subject: r.subject.clone(),
            state: r.state.as_str(),
            attempts: r.attempts,
            error: r.last_error.clone().unwrap_or_default(),
            created: when(&r.created_at),
            retryable: matches!(r.state, OutboxState::Failed | OutboxState::Held),
        })
        .collect();
    let pages = found.pages();
    let link =
        |page: u32| serde_urlencoded::to_string(OutboxQuery { state: q.state.clone(), page }).unwrap_or_default();
    let ctx = context! {
        rows,
        total => found.total,
        page => found.page,
        pages,
        prev => (found.page > 1).then(|| link(found.page - 1)),
        next => (found.page < pages).then(|| link(found.page + 1)),
        q => &q,
        states => STATES,
        csrf => staff.csrf(&state, "outbox"),
    };
    super::render(&state, &staff, "staff/outbox.html", &state.word("outbox"), ctx)
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
    /// A row's id, or "failed" / "held" for all of them.
    #[serde(default)]
    what: String,
}

pub async fn retry(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Peer,
    Form(form): Form<RetryForm>,
) -> Response {
    let staff = match auth::operator(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Post).await {
        Ok(s) => s,
        Err(answer) => return *answer,
    };
    if !staff.csrf_ok(&state, "outbox", &form.csrf) {
        return auth::refused_form(&state);
    }
    let now = rfc3339(time::OffsetDateTime::now_utc());
    let write = match form.what.trim() {
        "failed" => StaffWrite::RetryFailed { now },
        "held" => StaffWrite::ReleaseHeld { now },
        id => match id.parse::<i64>() {
            Ok(id) => StaffWrite::RetryOutbox { id, now },
            Err(_) => return auth::refused_form(&state),
        },
    };
    match state.desk.staff_write(write).await {
        Ok(_) => staff.finish(Redirect::to(&format!("{}/staff/outbox", state.root)).into_response()),
        Err(e) => {
            state.message(StatusCode::SERVICE_UNAVAILABLE, &state.word("unavailable"), &e.to_string(), context! {})
        }
    }
}
