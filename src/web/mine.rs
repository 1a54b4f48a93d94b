//! « Mes demandes » and the ways to get a link: the list of every ticket
//! where the link's address is requester or observer; the page where a
//! person types their address (the same answer whatever it is, so it tells
//! nobody which addresses exist; rate-limited per address and per client;
//! only the institution's addresses are mailed); and the fresh link an
//! expired one offers, sent to the address it was made for.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::desk::LinkKind;
use super::ticket::{Link, check, refused_form};
use super::token::{Purpose, TokenError};
use crate::mail::Mailbox;
use crate::ticket::{Role, Status, TicketId};

#[derive(Serialize)]
struct Line {
    id: TicketId,
    number: String,
    title: String,
    status: Status,
    status_label: &'static str,
    at: String,
    when: String,
    url: String,
    in_copy: bool,
}

pub async fn page(State(state): State<Arc<WebState>>, Query(link): Query<Link>) -> Response {
    let claims = match check(&state, link.k(), Purpose::Mine, 0) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    let address = claims.address.clone();
    let tickets = match state.reads.with(move |s| s.tickets_of(&address)).await {
        Ok(t) => t,
        Err(e) => return state.failed(&e),
    };
    let language = state.pages().language();
    let lines: Vec<Line> = tickets
        .into_iter()
        .map(|t| Line {
            id: t.id,
            number: t.id.to_string(),
            title: t.title,
            status: t.status,
            status_label: t.status.label(language),
            when: t.updated_at.get(..10).unwrap_or(&t.updated_at).to_string(),
            at: t.updated_at,
            // A ticket's link lasts as long as the list's.
            url: state.links.ticket_until(t.id, &claims.address, claims.expires),
            in_copy: t.role == Role::Observer,
        })
        .collect();
    state.page(
        StatusCode::OK,
        "mine.html",
        &state.word("mine"),
        context! { address => claims.address, tickets => lines },
    )
}

/// The hidden field of the ask form: bound to the day, so a copied form
/// goes stale.
fn ask_csrf(state: &WebState) -> String {
    let day = time::OffsetDateTime::now_utc().date().to_string();
    state.links.key().csrf(&day, "ask")
}

pub async fn ask_page(State(state): State<Arc<WebState>>) -> Response {
    state.page(
        StatusCode::OK,
        "ask.html",
        &state.word("ask_title"),
        context! { csrf => ask_csrf(&state), done => false },
    )
}

/// A form that asks for a link to be mailed to an address: « Mes
/// demandes » here, the staff's sign-in (`staff::signin`).
#[derive(Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    pub(super) address: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub async fn ask(
    State(state): State<Arc<WebState>>,
    peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<AddressForm>,
) -> Response {
    if form.csrf != ask_csrf(&state) {
        return refused_form(&state);
    }
    let client = super::guard::client(peer.as_ref().map(|p| &p.0), &headers, &state.config().staff_web.trusted_proxies);
    let address = form.address.trim().to_lowercase();
    let now = Instant::now();
    if !state.per_client.allow(&client, now) {
        return state.message(
            StatusCode::TOO_MANY_REQUESTS,
            &state.word("ask_title"),
            &state.word("too_many"),
            context! {},
        );
    }
    // The same answer whatever happens below: nobody learns which
    // addresses exist, are the institution's, or were held.
    let mailbox = Mailbox::new(&address, None);
    let served = crate::policy::refusal(Some(&mailbox), &state.config().institution).is_none();
    if served && state.per_address.allow(&address, now) {
        let at = crate::clock::rfc3339(time::OffsetDateTime::now_utc());
        let link = state.links.mine(&address, &at);
        let valid_for = state.links.valid_for(state.config().institution.language);
        // Queued apart from the answer, which must not take longer for an
        // address that is served than for one that is not.
        let desk = state.desk.clone();
        tokio::spawn(async move {
            if let Err(e) = desk.send_link(mailbox, link, LinkKind::Mine, valid_for).await {
                tracing::warn!(error = %e, "a link asked for on the web could not be queued");
            }
        });
    }
    state.page(StatusCode::OK, "ask.html", &state.word("ask_title"), context! { csrf => "", done => true })
}

#[derive(Deserialize)]
pub struct RenewForm {
    #[serde(default)]
    k: String,
    #[serde(default)]
    csrf: String,
}

/// A fresh link for an expired one: same page, same address, mailed to it.
pub async fn renew(State(state): State<Arc<WebState>>, Form(form): Form<RenewForm>) -> Response {
    if !state.links.key().csrf_ok(&form.k, "renew", &form.csrf) {
        return refused_form(&state);
    }
    let key = state.links.key();
    // Which page the link opened: its signature is good, only its time ran out.
    let expired_for = |purpose, subject| match key.verify(&form.k, purpose, subject, 0) {
        Ok(claims) => Some(claims.address),
        Err(TokenError::Expired { address }) => Some(address),
        Err(_) => None,
    };
    let at = crate::clock::rfc3339(time::OffsetDateTime::now_utc());
    let ticket = super::token::subject_of(&form.k);
    let link = match ticket {
        Some(id) if id > 0 => {
            expired_for(Purpose::Ticket, id).map(|a| (state.links.ticket(id, &a, &at), a, LinkKind::Ticket(id)))
        }
        _ => expired_for(Purpose::Mine, 0).map(|a| (state.links.mine(&a, &at), a, LinkKind::Mine)),
    };
    let Some((link, address, kind)) = link else { return state.forbidden() };
    if !state.per_address.allow(&address, Instant::now()) {
        return state.message(
            StatusCode::TOO_MANY_REQUESTS,
            &state.word("renew"),
            &state.word("too_many"),
            context! {},
        );
    }
    let valid_for = state.links.valid_for(state.config().institution.language);
    match state.desk.send_link(Mailbox::new(&address, None), link, kind, valid_for).await {
        Ok(()) => state.message(StatusCode::OK, &state.word("renew"), &state.word("renewed"), context! {}),
        Err(e) => {
            state.message(StatusCode::SERVICE_UNAVAILABLE, &state.word("unavailable"), &e.to_string(), context! {})
        }
    }
}
