//! `[staff_web]`: how technicians and operators sign in to the web pages.
//! A sign-in link mailed to a staff address lives a few minutes and serves
//! once; the session it opens ends after a while without a request (idle)
//! and, whatever happens, after a fixed time (absolute). Sites whose reverse
//! proxy already authenticates people (CAS, Shibboleth, SAML) may instead
//! name that proxy's addresses and the header it sets: a request from any
//! other address is never believed about who it is.

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaffWeb {
    /// How long a mailed sign-in link works.
    pub signin_link_ttl: Duration,
    /// A session with no request for this long is over.
    pub session_idle: Duration,
    /// A session is over this long after sign-in, however busy.
    pub session_absolute: Duration,
    /// Sign-in links one address may have outstanding at once.
    pub max_pending_links: u32,
    /// Proxies whose `user_header` is believed; empty: none is.
    pub trusted_proxies: Vec<IpAddr>,
    /// The header such a proxy names the signed-in person in.
    pub user_header: String,
    /// Appended as `@domain` to a header value that is a bare user name
    /// (CAS gives `jdupont`); None: the header must hold an address.
    pub user_domain: Option<String>,
}

impl StaffWeb {
    pub const DEFAULT_LINK_MINUTES: u64 = 15;
    pub const DEFAULT_IDLE_HOURS: u64 = 8;
    pub const DEFAULT_ABSOLUTE_DAYS: u64 = 7;
    pub const DEFAULT_MAX_PENDING_LINKS: u32 = 3;
    pub const DEFAULT_USER_HEADER: &str = "X-Remote-User";
}

impl Default for StaffWeb {
    fn default() -> Self {
        StaffWeb {
            signin_link_ttl: Duration::from_secs(StaffWeb::DEFAULT_LINK_MINUTES * 60),
            session_idle: Duration::from_secs(StaffWeb::DEFAULT_IDLE_HOURS * 3600),
            session_absolute: Duration::from_secs(StaffWeb::DEFAULT_ABSOLUTE_DAYS * 86_400),
            max_pending_links: StaffWeb::DEFAULT_MAX_PENDING_LINKS,
            trusted_proxies: Vec::new(),
            user_header: StaffWeb::DEFAULT_USER_HEADER.to_string(),
            user_domain: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaffWeb {
    pub signin_link_minutes: Option<u64>,
    pub session_idle_hours: Option<u64>,
    pub session_max_days: Option<u64>,
    pub max_pending_links: Option<u32>,
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    pub user_header: Option<String>,
    pub user_domain: Option<String>,
}

/// Validates `[staff_web]`; absent, every default applies and no proxy is
/// trusted.
pub(super) fn validate(raw: Option<RawStaffWeb>) -> Result<StaffWeb, (String, String)> {
    let Some(raw) = raw else { return Ok(StaffWeb::default()) };
    let key = |k: &str| format!("staff_web.{k}");
    let within = |k: &str, value: Option<u64>, default: u64, range: std::ops::RangeInclusive<u64>, unit: &str| {
        let v = value.unwrap_or(default);
        if range.contains(&v) {
            Ok(v)
        } else {
            Err((key(k), format!("expected {} to {} {unit}, got {v}", range.start(), range.end())))
        }
    };
    let link =
        within("signin_link_minutes", raw.signin_link_minutes, StaffWeb::DEFAULT_LINK_MINUTES, 1..=1440, "minutes")?;
    let idle = within("session_idle_hours", raw.session_idle_hours, StaffWeb::DEFAULT_IDLE_HOURS, 1..=720, "hours")?;
    let days = within("session_max_days", raw.session_max_days, StaffWeb::DEFAULT_ABSOLUTE_DAYS, 1..=365, "days")?;
    if idle > days * 24 {
        return Err((
            key("session_idle_hours"),
            format!("expected at most session_max_days × 24 = {} hours, got {idle}", days * 24),
        ));
    }
    let max_pending_links = raw.max_pending_links.unwrap_or(StaffWeb::DEFAULT_MAX_PENDING_LINKS);
    if !(1..=100).contains(&max_pending_links) {
        return Err((key("max_pending_links"), format!("expected 1 to 100, got {max_pending_links}")));
    }
    let mut trusted_proxies = Vec::new();
    for proxy in &raw.trusted_proxies {
        let ip = proxy.trim().parse::<IpAddr>().map_err(|_| {
            (key("trusted_proxies"), format!("expected IP addresses such as \"127.0.0.1\", got \"{}\"", proxy.trim()))
        })?;
        trusted_proxies.push(ip);
    }
    let user_header = raw.user_header.unwrap_or_else(|| StaffWeb::DEFAULT_USER_HEADER.to_string()).trim().to_string();
    // A header name is an HTTP token: letters, digits and a few marks.
    if user_header.is_empty() || !user_header.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
        return Err((
            key("user_header"),
            format!("expected a header name such as \"X-Remote-User\", got \"{user_header}\""),
        ));
    }
    let user_domain = match raw.user_domain.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(super::helpdesk::normalize_domain(d).ok_or_else(|| {
            (key("user_domain"), format!("expected a domain such as \"ac-exemple.fr\", got \"{d}\""))
        })?),
    };
    Ok(StaffWeb {
        signin_link_ttl: Duration::from_secs(link * 60),
        session_idle: Duration::from_secs(idle * 3600),
        session_absolute: Duration::from_secs(days * 86_400),
        max_pending_links,
        trusted_proxies,
        user_header,
        user_domain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(toml_text: &str) -> RawStaffWeb {
        toml::from_str(toml_text).expect("valid TOML for RawStaffWeb")
    }

    #[test]
    fn without_the_section_the_defaults_apply_and_no_proxy_is_trusted() {
        let web = validate(None).expect("defaults");
        assert_eq!(web.signin_link_ttl, Duration::from_secs(15 * 60));
        assert_eq!(web.session_idle, Duration::from_secs(8 * 3600));
        assert_eq!(web.session_absolute, Duration::from_secs(7 * 86_400));
        assert!(web.trusted_proxies.is_empty());
        assert_eq!(web.user_header, "X-Remote-User");
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let cases = [
            ("a link that never works", "signin_link_minutes = 0", "staff_web.signin_link_minutes"),
            (
                "an idle timeout longer than the absolute one",
                "session_idle_hours = 48\nsession_max_days = 1",
                "staff_web.session_idle_hours",
            ),
            ("a session of ten years", "session_max_days = 3650", "staff_web.session_max_days"),
            ("a proxy by host name", "trusted_proxies = [\"proxy.example\"]", "staff_web.trusted_proxies"),
            ("a header with a colon", "user_header = \"X-User: admin\"", "staff_web.user_header"),
            ("no pending link allowed", "max_pending_links = 0", "staff_web.max_pending_links"),
            ("a user domain that is no domain", "user_domain = \"not a domain\"", "staff_web.user_domain"),
        ];
        for (name, text, expected_key) in cases {
            let (key, _) = validate(Some(raw(text))).expect_err(name);
            assert_eq!(key, expected_key, "{name}");
        }
    }

    #[test]
    fn written_values_are_taken() {
        let web = validate(Some(raw(
            "signin_link_minutes = 5\nsession_idle_hours = 2\nsession_max_days = 1\n\
             trusted_proxies = [\"127.0.0.1\", \"::1\"]\nuser_header = \"X-Forwarded-User\"\nuser_domain = \"@AC-Exemple.fr\"",
        )))
        .expect("valid");
        assert_eq!(web.signin_link_ttl, Duration::from_secs(300));
        assert_eq!(web.session_idle, Duration::from_secs(7200));
        assert_eq!(web.session_absolute, Duration::from_secs(86_400));
        assert_eq!(web.trusted_proxies.len(), 2);
        assert_eq!(web.user_header, "X-Forwarded-User");
        assert_eq!(web.user_domain.as_deref(), Some("ac-exemple.fr"));
    }
}
