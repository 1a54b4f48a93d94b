//! Who may sign in to the staff pages, and the secrets that prove it, with
//! no I/O but the system's random source. Staff are the technicians of
//! `[[technicians]]` and the members of `[[groups]]`; operators are the
//! technicians marked `admin = true`. A sign-in link and a session cookie
//! each carry 32 random bytes; the store keeps only their SHA-256
//! ([`crate::store`]'s `web_sessions`). A proxy's user header is believed
//! only from an address of `staff_web.trusted_proxies`, and only for staff.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::clock::rfc3339;
use crate::config::{Config, StaffWeb};

/// Random bytes in a token: 256 bits, beyond guessing.
const SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(
        "cannot read the system's random source for a sign-in secret ({0}): check that /dev/urandom or getrandom(2) works in mailgate's sandbox"
    )]
    Random(getrandom::Error),
}

/// A secret handed to its holder (in a link, in a cookie): lower-case hex.
/// Debug shows nothing of it, so that it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// New random secret.
    pub fn generate() -> Result<Secret, SessionError> {
        let mut bytes = [0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(SessionError::Random)?;
        Ok(Secret(hex(&bytes)))
    }

    /// What goes in the link or the cookie.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps.
    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The stored form of a secret presented by a request, or None when it
/// cannot be one of ours (wrong length or alphabet): such a value is
/// refused without a look at the database.
pub fn presented_hash(presented: &str) -> Option<String> {
    let ok = presented.len() == SECRET_BYTES * 2 && presented.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    ok.then(|| hash_secret(presented))
}

fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A person the staff pages know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaffMember {
    /// Lower-cased.
    pub email: String,
    /// Their `[[technicians]]` name, if given one.
    pub name: Option<String>,
    /// May open the operators' pages.
    pub admin: bool,
    /// The configured names of the groups they are a member of.
    pub groups: Vec<String>,
}

/// The staff member `address` is, or None for anyone else (a requester, a
/// group's list address, a stranger).
pub fn staff_member(config: &Config, address: &str) -> Option<StaffMember> {
    let email = address.trim().to_lowercase();
    if !config.is_technician(&email) {
        return None;
    }
    let technician = config.technician(&email);
    Some(StaffMember {
        name: technician.map(|t| t.name.clone()).filter(|n| !n.is_empty()),
        admin: technician.is_some_and(|t| t.admin),
        groups: config.groups.iter().filter(|g| g.has_member(&email)).map(|g| g.name.clone()).collect(),
        email,
    })
}

/// What to do with an address typed in the sign-in form. Whatever it is,
/// the page says the same ("if this address is known, a link is on its
/// way"), so the form tells nobody who the staff are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigninRequest {
    /// Mail a new link to this staff member.
    SendLink(StaffMember),
    /// Not staff: send nothing.
    NotStaff,
    /// Staff, but with `max_pending_links` unused links already: send nothing.
    TooManyPending,
}

pub fn signin_request(config: &Config, address: &str, pending_links: u32) -> SigninRequest {
    match staff_member(config, address) {
        None => SigninRequest::NotStaff,
        Some(_) if pending_links >= config.staff_web.max_pending_links => SigninRequest::TooManyPending,
        Some(member) => SigninRequest::SendLink(member),
    }
}

/// When a link mailed at `now` stops working, as stored.
pub fn link_expiry(now: OffsetDateTime, policy: &StaffWeb) -> String {
    rfc3339(now + policy.signin_link_ttl)
}

/// A new session's deadlines at `now`, as stored: (idle, absolute).
pub fn session_deadlines(now: OffsetDateTime, policy: &StaffWeb) -> (String, String) {
    (idle_deadline(now, policy), rfc3339(now + policy.session_absolute))
}

/// The idle deadline a request at `now` moves a session's to (the store
/// keeps it within the absolute one).
pub fn idle_deadline(now: OffsetDateTime, policy: &StaffWeb) -> String {
    rfc3339(now + policy.session_idle)
}

/// Who a request says it is through the proxy's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyIdentity {
    /// No proxy is trusted, or the request does not come from one: the
    /// header, if any, means nothing (anyone can write one).
    NotFromTrustedProxy,
    /// From the proxy, without the header: not signed in there.
    NoUser,
    /// From the proxy, naming someone who is not staff (or not an address).
    NotStaff(String),
    Staff(StaffMember),
}

/// The pure decision behind proxy sign-in: `peer` is the address the
/// connection comes from (never a forwarded-for header), `header` the raw
/// value of `staff_web.user_header`.
pub fn proxy_identity(config: &Config, peer: IpAddr, header: Option<&[u8]>) -> ProxyIdentity {
    let policy = &config.staff_web;
    // An IPv4 peer may arrive as ::ffff:a.b.c.d on a dual-stack socket.
    let peer = match peer {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
        v4 => v4,
    };
    if !policy.trusted_proxies.contains(&peer) {
        return ProxyIdentity::NotFromTrustedProxy;
    }
    let Some(value) = header.map(|h| String::from_utf8_lossy(h).trim().to_string()).filter(|v| !v.is_empty()) else {
        return ProxyIdentity::NoUser;
    };
    let address = match (&policy.user_domain, value.contains('@')) {
        (Some(domain), false) => format!("{value}@{domain}"),
        _ => value.clone(),
    };
    match crate::mail::address::plain(&address).ok().and_then(|a| staff_member(config, &a)) {
        Some(member) => ProxyIdentity::Staff(member),
        None => ProxyIdentity::NotStaff(crate::text::one_line(&value, 200)),
    }
}

/// The `Set-Cookie` value that holds a session: HttpOnly, SameSite=Lax,
/// Secure when the site is served over https, for the session's absolute
/// lifetime (the server refuses it earlier when idle).
pub fn session_cookie(name: &str, secret: &Secret, secure: bool, lifetime: Duration) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}", secret.expose(), lifetime.as_secs())
}

/// The `Set-Cookie` value that removes the session cookie (sign-out).
pub fn cleared_cookie(name: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}")
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
