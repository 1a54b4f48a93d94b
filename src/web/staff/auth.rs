//! Who a staff request comes from, checked on the server for every request:
//! the trusted proxy's user header (believed only from its addresses), else
//! the session cookie, read on a read-only connection and prolonged through
//! the writer at most every [`TOUCH_EVERY`]. Whether the person is still
//! staff, and admin, is asked of the configuration each time. A request
//! that proves nobody gets the sign-in page (GET) or 403 (POST); a
//! requester's personal link is no session and opens nothing here. Each
//! form carries a CSRF field bound to the session and to the form's name.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use time::OffsetDateTime;

use super::session::{self, ProxyIdentity, Secret, StaffMember};
use crate::clock::rfc3339;
use crate::web::WebState;
use crate::web::desk::{StaffWrite, StaffWritten};

/// The session cookie's name over http (a test site, a demo).
pub const COOKIE: &str = "mailgate_staff";

/// The session cookie's name over https: the `__Host-` prefix makes the
/// browser refuse it unless set by this very host (Secure, Path=/, no
/// Domain), so a sibling host of the institution's domain cannot plant a
/// session of its choosing in a technician's browser (session fixation).
pub const SECURE_COOKIE: &str = "__Host-mailgate_staff";

/// The session cookie's name for a site served over https or not.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { COOKIE }
}

/// A live session's idle deadline is moved on (a write) only once it is
/// this much shorter than a fresh one: a busy technician's page views stay
/// reads.
const TOUCH_EVERY: Duration = Duration::from_secs(300);

/// A signed-in staff member, for one request.
pub struct Staff {
    pub member: StaffMember,
    /// The stored hash of the session: what the CSRF fields are bound to.
    session_hash: String,
    /// A cookie to set with the answer (a session the proxy opened).
    set_cookie: Option<String>,
}

impl Staff {
    /// The hidden field of form `form` for this session.
    pub fn csrf(&self, state: &WebState, form: &str) -> String {
        state.links.key().csrf(&self.binding(), form)
    }

    pub fn csrf_ok(&self, state: &WebState, form: &str, field: &str) -> bool {
        state.links.key().csrf_ok(&self.binding(), form, field)
    }

    fn binding(&self) -> String {
        format!("staff-session:{}", self.session_hash)
    }

    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }

    /// `response` with the session cookie the proxy's sign-in made, if any.
    pub fn finish(&self, mut response: Response) -> Response {
        if let Some(cookie) = self.set_cookie.as_ref().and_then(|c| HeaderValue::from_str(c).ok()) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// How the request is made: a refusal differs for a page and a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// The value of the session cookie `name` in `headers`, if any.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.trim().to_string())
}

/// The staff member the request comes from, or the answer to give.
pub async fn staff(
    state: &Arc<WebState>,
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    method: Method,
) -> Result<Staff, Box<Response>> {
    let config = &state.config();
    let now = OffsetDateTime::now_utc();
    if let Some(peer) = peer {
        let named = headers.get(config.staff_web.user_header.as_str()).map(HeaderValue::as_bytes);
        match session::proxy_identity(config, peer.0.ip(), named) {
            ProxyIdentity::Staff(member) => return proxy_session(state, headers, member, now).await,
            ProxyIdentity::NotStaff(_) => return Err(Box::new(not_staff(state))),
            ProxyIdentity::NoUser | ProxyIdentity::NotFromTrustedProxy => {}
        }
    }
    let refused = || Box::new(signed_out(state, method));
    let hash =
        cookie(headers, cookie_name(state.secure)).and_then(|c| session::presented_hash(&c)).ok_or_else(refused)?;
    let at = rfc3339(now);
    let found = {
        let (hash, at) = (hash.clone(), at.clone());
        state.reads.with(move |s| s.live_session(&hash, &at)).await
    };
    let record = match found {
        Ok(Some(record)) => record,
        Ok(None) => return Err(refused()),
        Err(e) => return Err(Box::new(state.failed(&e))),
    };
    let Some(member) = session::staff_member(config, &record.email) else {
        return Err(Box::new(not_staff(state)));
    };
    let policy = &config.staff_web;
    if record.idle_until < rfc3339(now + policy.session_idle.saturating_sub(TOUCH_EVERY)) {
        let touch =
            StaffWrite::Touch { session_hash: hash.clone(), now: at, idle_until: session::idle_deadline(now, policy) };
        match state.desk.staff_write(touch).await {
            Ok(StaffWritten::Session(Some(_))) => {}
            Ok(_) => return Err(refused()),
            // The session was live a moment ago: the page may still show.
            Err(e) => tracing::warn!(error = %e, "a staff session could not be prolonged"),
        }
    }
    Ok(Staff { member, session_hash: hash, set_cookie: None })
}

/// The proxy says who this is: their live session if the cookie holds one
/// of theirs, else a new one (a cookie to set), so that forms have a
/// session to be bound to.
async fn proxy_session(
    state: &Arc<WebState>,
    headers: &HeaderMap,
    member: StaffMember,
    now: OffsetDateTime,
) -> Result<Staff, Box<Response>> {
    let at = rfc3339(now);
    if let Some(hash) = cookie(headers, cookie_name(state.secure)).and_then(|c| session::presented_hash(&c)) {
        let (h, a) = (hash.clone(), at.clone());
        if let Ok(Some(record)) = state.reads.with(move |s| s.live_session(&h, &a)).await
            && record.email == member.email
        {
            return Ok(Staff { member, session_hash: hash, set_cookie: None });
        }
    }
    let secret = Secret::generate().map_err(|e| Box::new(state.failed(&e)))?;
    let policy = &state.config().staff_web;
    let (idle_until, absolute_until) = session::session_deadlines(now, policy);
    let write = StaffWrite::ProxySession {
        session_hash: secret.hash(),
        email: member.email.clone(),
        now: at,
        idle_until,
        absolute_until,
    };
    if let Err(e) = state.desk.staff_write(write).await {
        return Err(Box::new(state.failed(&e)));
    }
    let set_cookie =
        Some(session::session_cookie(cookie_name(state.secure), &secret, state.secure, policy.session_absolute));
    Ok(Staff { member, session_hash: secret.hash(), set_cookie })
}

/// Like [`staff`], and the person must be an operator (`admin = true`).
pub async fn operator(
    state: &Arc<WebState>,
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    method: Method,
) -> Result<Staff, Box<Response>> {
    let staff = staff(state, headers, peer, method).await?;
    if !staff.member.admin {
        let text = state.word("operators_only");
        return Err(Box::new(state.message(StatusCode::FORBIDDEN, &state.word("forbidden_staff"), &text, context! {})));
    }
    Ok(staff)
}

/// No session: a page leads to the sign-in form; a form post is refused.
fn signed_out(state: &WebState, method: Method) -> Response {
    match method {
        Method::Get => Redirect::to(&format!("{}/staff/signin", state.root)).into_response(),
        Method::Post => state.message(
            StatusCode::FORBIDDEN,
            &state.word("forbidden_staff"),
            &state.word("signed_out"),
            context! { signin => true },
        ),
    }
}

fn not_staff(state: &WebState) -> Response {
    state.message(StatusCode::FORBIDDEN, &state.word("forbidden_staff"), &state.word("not_staff"), context! {})
}

/// A form whose CSRF field is not this session's.
pub fn refused_form(state: &WebState) -> Response {
    crate::web::ticket::refused_form(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_nothing_else_is_taken_for_it() {
        let cases = [
            ("alone", "mailgate_staff=abc", Some("abc")),
            ("among others", "a=1; mailgate_staff=abc; b=2", Some("abc")),
            ("a look-alike name", "xmailgate_staff=abc", None),
            ("absent", "a=1", None),
        ];
        for (name, value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, HeaderValue::from_static(value));
            assert_eq!(cookie(&headers, COOKIE).as_deref(), expected, "{name}");
        }
    }

    #[test]
    fn over_https_the_session_cookie_is_host_only_and_a_planted_unprefixed_one_is_ignored() {
        let secret = super::session::Secret::generate().expect("random");
        let set = super::session::session_cookie(cookie_name(true), &secret, true, Duration::from_secs(60));
        assert!(set.starts_with("__Host-mailgate_staff="), "{set}");
        assert!(set.contains("; Secure") && set.contains("; Path=/") && !set.contains("Domain"), "{set}");
        let mut headers = HeaderMap::new();
        // What a sibling host can set for the whole domain.
        headers.insert(header::COOKIE, HeaderValue::from_static("mailgate_staff=planted"));
        assert_eq!(cookie(&headers, cookie_name(true)), None);
        assert_eq!(cookie_name(false), COOKIE, "over http (no Secure) the plain name");
    }
}
