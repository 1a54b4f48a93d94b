//! The operators' pages (technicians with `admin = true`): the intake
//! journal (every mail and what became of it, filtered by outcome, sender
//! and dates), one mail's header fields and raw copy, its replay after a
//! configuration change (through the writer, as `messages replay`), and
//! the daemon's health (each source's state and last fetch, the outbox's
//! depth): for people, what `stats`, `/healthz` and `/metrics` show.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::{self, Method};
use super::view::{number, when};
use crate::intake::Outcome;
use crate::store::{JournalFilter, PageRequest, StoreError, header_fields};
use crate::web::WebState;
use crate::web::desk::{DeskError, StaffWrite, StaffWritten};

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

const PAGE_SIZE: u32 = 50;

macro_rules! operator {
    ($state:expr, $headers:expr, $peer:expr, $method:expr) => {
        match auth::operator(&$state, &$headers, $peer.as_ref().map(|p| &p.0), $method).await {
            Ok(s) => s,
            Err(answer) => return *answer,
        }
    };
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct JournalQuery {
    outcome: String,
    sender: String,
    from: String,
    until: String,
    page: u32,
}

/// A date typed as YYYY-MM-DD, or None.
fn date(s: &str) -> Option<String> {
    let s = s.trim();
    let ok = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    ok.then(|| s.to_string())
}

impl JournalQuery {
    fn filter(&self) -> JournalFilter {
        JournalFilter {
            outcome: Outcome::parse(self.outcome.trim()),
            sender: Some(self.sender.trim().to_string()).filter(|s| !s.is_empty()),
            received_from: date(&self.from).map(|d| format!("{d}T00:00:00Z")),
            // Times are stored "…THH:MM:SSZ": every one of the day sorts
            // before "…T24", so the day given is included.
            received_until: date(&self.until).map(|d| format!("{d}T24")),
            quarantined_only: false,
        }
    }

    fn query(&self, page: u32) -> String {
        let mut q = self.clone();
        q.page = page;
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct MailRow {
    id: i64,
    when: String,
    from: String,
    subject: String,
    outcome: &'static str,
    reason: String,
    ticket: Option<String>,
    ticket_id: Option<i64>,
    replayable: bool,
}

pub async fn journal(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Peer,
    Query(q): Query<JournalQuery>,
) -> Response {
    let staff = operator!(state, headers, peer, Method::Get);
    let filter = q.filter();
    let request = PageRequest { page: q.page.max(1), size: PAGE_SIZE };
    let found = match state.reads.with(move |s| s.journal(&filter, request)).await {
        Ok(p) => p,
        Err(e) => return state.failed(&e),
    };
    let rows: Vec<MailRow> = found
        .items
        .iter()
        .map(|m| MailRow {
            id: m.id,
            when: when(&m.received_at),
            from: m.from.clone().unwrap_or_default(),
            subject: m.subject.clone(),
            outcome: m.outcome.as_str(),
            reason: m.reason.clone().unwrap_or_default(),
            ticket: m.ticket_id.map(number),
            ticket_id: m.ticket_id,
            replayable: matches!(m.outcome, Outcome::Refused | Outcome::Ignored),
        })
        .collect();
    let pages = found.pages();
    let outcomes: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
    let ctx = context! {
        rows,
        total => found.total,
        page => found.page,
        pages,
        prev => (found.page > 1).then(|| q.query(found.page - 1)),
        next => (found.page < pages).then(|| q.query(found.page + 1)),
        q => &q,
        outcomes,
        csrf => staff.csrf(&state, "replay"),
    };
    super::render(&state, &staff, "staff/journal.html", &state.word("journal"), ctx)
}

/// One mail: what the journal knows and its header fields.
pub async fn message(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Peer,
    Path(id): Path<i64>,
) -> Response {
    let staff = operator!(state, headers, peer, Method::Get);
    let read = state.reads.with(move |s| {
        let record = match s.message(id) {
            Ok(r) => r,
            Err(StoreError::NotFound(_) | StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let fields = s.raw_message(id).map(|raw| header_fields(&raw)).unwrap_or_default();
        Ok(Some((record, fields)))
    });
    let (m, fields) = match read.await {
        Ok(Some(found)) => found,
        Ok(None) => return state.message(StatusCode::NOT_FOUND, &state.word("not_found"), "", context! {}),
        Err(e) => return state.failed(&e),
    };
    let mail = context! {
        id,
        when => when(&m.received_at),
        from => m.from.clone().unwrap_or_default(),
        subject => &m.subject,
        message_id => &m.message_id,
        outcome => m.outcome.as_str(),
        reason => m.reason.clone().unwrap_or_default(),
        source => &m.source,
        size => m.size,
        trust => &m.trust,
        defects => &m.defects,
        ticket => m.ticket_id.map(number),
        ticket_id => m.ticket_id,
        replayable => matches!(m.outcome, Outcome::Refused | Outcome::Ignored),
    };
    let ctx = context! { m => mail, fields, csrf => staff.csrf(&state, "replay") };
    super::render(&state, &staff, "staff/message.html", &state.word("mail"), ctx)
}

/// The raw copy, always as a download: whatever the mail holds, the
/// browser never renders it.
pub async fn raw(State(state): State<Arc<WebState>>, headers: HeaderMap, peer: Peer, Path(id): Path<i64>) -> Response {
    let staff = operator!(state, headers, peer, Method::Get);
    match state.reads.with(move |s| s.raw_message(id)).await {
        Ok(bytes) => staff.finish(
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"message-{id}.eml\"")),
                ],
                bytes,
            )
                .into_response(),
        ),
        Err(crate::web::reads::ReadError::Store(StoreError::NotFound(why))) => {
            state.message(StatusCode::NOT_FOUND, &state.word("not_found"), &why, context! {})
        }
        Err(e) => state.failed(&e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Decides a refused or ignored mail again, under the configuration the
/// writer has now (after a SIGHUP or a restart).
pub async fn replay(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Peer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let staff = operator!(state, headers, peer, Method::Post);
    if !staff.csrf_ok(&state, "replay", &form.csrf) {
        return auth::refused_form(&state);
    }
    match state.desk.staff_write(StaffWrite::Replay { message_row: id }).await {
        Ok(StaffWritten::Note(_)) | Ok(_) => {
            staff.finish(Redirect::to(&format!("{}/staff/journal/{id}?replayed=1", state.root)).into_response())
        }
        Err(e) => {
            let status =
                if matches!(e, DeskError::Refused(_)) { StatusCode::CONFLICT } else { StatusCode::SERVICE_UNAVAILABLE };
            let back = format!("{}/staff/journal/{id}", state.root);
            staff.finish(state.message(
                status,
                &state.word("unavailable"),
                &e.to_string(),
                context! { back_staff => back },
            ))
        }
    }
}

#[derive(Serialize)]
struct SourceRow {
    name: String,
    up: bool,
    started: bool,
    error: String,
    last_fetch: String,
}

pub async fn health(State(state): State<Arc<WebState>>, headers: HeaderMap, peer: Peer) -> Response {
    let staff = operator!(state, headers, peer, Method::Get);
    let depth = match state.reads.with(|s| s.outbox_depth()).await {
        Ok(d) => d,
        Err(e) => return state.failed(&e),
    };
    let (sources, problems) = match &state.health {
        Some(h) => (
            h.sources()
                .into_iter()
                .map(|(name, s)| SourceRow {
                    name,
                    up: s.up,
                    started: s.started,
                    error: s.error.map(|e| crate::text::one_line(&e, 300)).unwrap_or_default(),
                    last_fetch: s.last_success.map(system_time).unwrap_or_default(),
                })
                .collect(),
            h.problems(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let ctx = context! { sources, problems, depth, daemon => state.health.is_some() };
    super::render(&state, &staff, "staff/health.html", &state.word("health"), ctx)
}

fn system_time(t: SystemTime) -> String {
    let at = time::OffsetDateTime::from(t);
    when(&crate::clock::rfc3339(at))
}
