//! Signing in without a password. A technician types their address; if it
//! is staff's, a single-use link is mailed to it (the same answer for any
//! address, rate-limited per address and per client). The link's GET only
//! shows a button: mail scanners that open every link must not use it up.
//! The button's POST uses the link and opens a session (cookie HttpOnly,
//! SameSite=Lax, Secure over https). Sign-out ends the session.
//!
//! The button only works in the browser that opened the link: the link's
//! page sets a random cookie and puts its HMAC, bound to the link, in the
//! form. Someone else's page cannot post a sign-in button of their own
//! link into a technician's browser (login CSRF: the technician would work
//! in the attacker's session), whatever the browser says or not of where a
//! form comes from.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use minijinja::context;
use serde::Deserialize;
use time::OffsetDateTime;

use super::auth::{self, Method};
use super::session::{self, Secret};
use crate::clock::rfc3339;
use crate::mail::Mailbox;
use crate::web::desk::{LinkKind, StaffWrite, StaffWritten};
use crate::web::mine::AddressForm;
use crate::web::{WebState, guard};

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// The sign-in form's CSRF field: there is no session yet, so it is bound
/// to the day (the form only ever mails a link to staff's own address).
fn signin_csrf(state: &WebState) -> String {
    state.links.key().csrf(&OffsetDateTime::now_utc().date().to_string(), "staff-signin")
}

pub async fn page(State(state): State<Arc<WebState>>, headers: HeaderMap, peer: Peer) -> Response {
    if auth::staff(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Post).await.is_ok() {
        return Redirect::to(&format!("{}/staff", state.root)).into_response();
    }
    let csrf = signin_csrf(&state);
    state.page(StatusCode::OK, "staff/signin.html", &state.word("signin_title"), context! { csrf })
}

pub async fn ask(
    State(state): State<Arc<WebState>>,
    peer: Peer,
    headers: HeaderMap,
    Form(form): Form<AddressForm>,
) -> Response {
    if form.csrf != signin_csrf(&state) {
        return auth::refused_form(&state);
    }
    let client = guard::client(peer.as_ref().map(|p| &p.0), &headers, &state.config().staff_web.trusted_proxies);
    let address = form.address.trim().to_lowercase();
    let now = Instant::now();
    if !state.staff_per_client.allow(&client, now) {
        let title = state.word("signin_title");
        return state.message(StatusCode::TOO_MANY_REQUESTS, &title, &state.word("too_many"), context! {});
    }
    // Pending links are counted by the writer, with the insert.
    let member = match session::signin_request(&state.config(), &address, 0) {
        session::SigninRequest::SendLink(member) => Some(member),
        _ => None,
    };
    if let Some(member) = member.filter(|m| state.staff_per_address.allow(&m.email, now)) {
        // Queued apart from the answer, which must take no longer for staff
        // than for anyone else.
        tokio::spawn(mail_link(state.clone(), member.email));
    }
    state.page(StatusCode::OK, "staff/signin.html", &state.word("signin_title"), context! { done => true })
}

async fn mail_link(state: Arc<WebState>, email: String) {
    let secret = match Secret::generate() {
        Ok(s) => s,
        Err(e) => return tracing::error!(error = %e, "no sign-in link could be made"),
    };
    let now = OffsetDateTime::now_utc();
    let policy = &state.config().staff_web;
    let write = StaffWrite::SigninToken {
        token_hash: secret.hash(),
        email: email.clone(),
        now: rfc3339(now),
        expires_at: session::link_expiry(now, policy),
        max_pending: policy.max_pending_links,
    };
    match state.desk.staff_write(write).await {
        Ok(StaffWritten::Sent(true)) => {}
        Ok(_) => return tracing::info!("a sign-in link was not sent: the address has enough unused ones"),
        Err(e) => return tracing::warn!(error = %e, "a sign-in link could not be recorded"),
    }
    let url = format!("{}/staff/signin/confirm?t={}", state.links.base_url(), secret.expose());
    let minutes = policy.signin_link_ttl.as_secs() / 60;
    let valid_for = format!("{minutes} minutes");
    if let Err(e) = state.desk.send_link(Mailbox::new(&email, None), url, LinkKind::SignIn, valid_for).await {
        tracing::warn!(error = %e, "a sign-in link could not be queued");
    }
}

#[derive(Deserialize)]
pub struct Confirm {
    #[serde(default)]
    t: String,
    /// The button's binding to the browser's cookie (see the module).
    #[serde(default)]
    b: String,
}

/// The cookie that ties a link's button to the browser that opened it:
/// host-only over https (`__Host-`), like the session's.
fn binding_cookie(secure: bool) -> &'static str {
    if secure { "__Host-mailgate_signin" } else { "mailgate_signin" }
}

/// The button's field for the browser holding `nonce`, and link `t`.
fn binding(state: &WebState, nonce: &str, t: &str) -> String {
    state.links.key().csrf(nonce, &binding_form(t))
}

/// What the button's field is bound to, besides the browser's cookie.
fn binding_form(t: &str) -> String {
    format!("signin-confirm:{t}")
}

/// The link's page: a button, and nothing used yet.
pub async fn confirm_page(State(state): State<Arc<WebState>>, Query(link): Query<Confirm>) -> Response {
    if session::presented_hash(&link.t).is_none() {
        return link_refused(&state);
    }
    let nonce = match Secret::generate() {
        Ok(s) => s,
        Err(e) => return state.failed(&e),
    };
    let t = link.t;
    let b = binding(&state, nonce.expose(), &t);
    let mut answer =
        state.page(StatusCode::OK, "staff/signin.html", &state.word("signin_title"), context! { confirm => t, b });
    let secure = if state.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        binding_cookie(state.secure),
        nonce.expose(),
        state.config().staff_web.signin_link_ttl.as_secs()
    );
    if let Ok(value) = cookie.parse() {
        answer.headers_mut().append(header::SET_COOKIE, value);
    }
    answer
}

/// The button: uses the link and opens the session.
pub async fn confirm(State(state): State<Arc<WebState>>, headers: HeaderMap, Form(link): Form<Confirm>) -> Response {
    let Some(token_hash) = session::presented_hash(&link.t) else { return link_refused(&state) };
    // Not this browser's button: refused before the link is used, so the
    // technician's own click still works.
    let bound = auth::cookie(&headers, binding_cookie(state.secure))
        .is_some_and(|nonce| state.links.key().csrf_ok(&nonce, &binding_form(&link.t), &link.b));
    if !bound {
        return auth::refused_form(&state);
    }
    let secret = match Secret::generate() {
        Ok(s) => s,
        Err(e) => return state.failed(&e),
    };
    let now = OffsetDateTime::now_utc();
    let policy = &state.config().staff_web;
    let (idle_until, absolute_until) = session::session_deadlines(now, policy);
    let write =
        StaffWrite::SignIn { token_hash, session_hash: secret.hash(), now: rfc3339(now), idle_until, absolute_until };
    match state.desk.staff_write(write).await {
        Ok(StaffWritten::Email(Some(email))) if session::staff_member(&state.config(), &email).is_some() => {
            let cookie = session::session_cookie(
                auth::cookie_name(state.secure),
                &secret,
                state.secure,
                policy.session_absolute,
            );
            let mut answer = Redirect::to(&format!("{}/staff", state.root)).into_response();
            if let Ok(value) = cookie.parse() {
                answer.headers_mut().insert(header::SET_COOKIE, value);
            }
            // The button's cookie has served.
            let cleared = session::cleared_cookie(binding_cookie(state.secure), state.secure);
            if let Ok(value) = cleared.parse() {
                answer.headers_mut().append(header::SET_COOKIE, value);
            }
            answer
        }
        Ok(_) => link_refused(&state),
        Err(e) => state.failed(&e),
    }
}

fn link_refused(state: &WebState) -> Response {
    let text = state.word("signin_link_used");
    state.message(StatusCode::FORBIDDEN, &state.word("forbidden_staff"), &text, context! { signin => true })
}

#[derive(Deserialize)]
pub struct SignoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn signout(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Peer,
    Form(form): Form<SignoutForm>,
) -> Response {
    let staff = match auth::staff(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Post).await {
        Ok(s) => s,
        Err(answer) => return *answer,
    };
    if !staff.csrf_ok(&state, "signout", &form.csrf) {
        return auth::refused_form(&state);
    }
    let write = StaffWrite::SignOut { session_hash: staff.session_hash().to_string() };
    if let Err(e) = state.desk.staff_write(write).await {
        return state.failed(&e);
    }
    let mut answer = Redirect::to(&format!("{}/staff/signin", state.root)).into_response();
    if let Ok(value) = session::cleared_cookie(auth::cookie_name(state.secure), state.secure).parse() {
        answer.headers_mut().insert(header::SET_COOKIE, value);
    }
    answer
}
