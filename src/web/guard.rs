//! What every answer carries and what every request is held to: the
//! security headers (a strict CSP with no script at all, no framing, no
//! sniffing, no Referer so a link's token never leaks to another site, no
//! caching of personal pages), the refusal of forms posted from another
//! site, and the rate limits of the pages that send mail (per address and
//! per client).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The body of a form without files (an address, a reason, a note): past
/// it the answer is 413 before anything reads it. Only the two forms that
/// carry files take up to `limits.max_message_bytes`.
pub const FORM_BYTES: usize = 256 * 1024;

pub const CSP: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Adds the security headers to every answer.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Refuses a form posted from a page of another site before any handler
/// sees it. The forms' own CSRF fields cannot stop everything: the sign-in
/// and ask forms' fields are public (there is no session yet), and the
/// sign-in button's link may be the attacker's own, which would sign the
/// victim in as the attacker (login CSRF). The browser says where a form
/// comes from: `Sec-Fetch-Site` when it sends it, else `Origin`.
pub async fn same_site_forms(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<super::WebState>>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD);
    if safe || posted_from_here(request.headers(), state.links.base_url()) {
        return next.run(request).await;
    }
    super::ticket::refused_form(&state)
}

/// Whether a form's request comes from a page of this site (`base_url`'s
/// origin, or the host the request was sent to), as far as the browser
/// tells. A client that says nothing (an old browser, curl) is let through
/// to the forms' own CSRF fields.
pub fn posted_from_here(headers: &HeaderMap, base_url: &str) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(site) = text("sec-fetch-site") {
        // "none": typed or bookmarked by the user; "same-site" is refused
        // too: a sibling host of a university is not this site.
        return site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none");
    }
    match text("origin") {
        // What a browser sends for our own forms under Referrer-Policy:
        // no-referrer, and for sandboxed frames: no answer either way.
        None | Some("null") => true,
        Some(origin) => {
            let origin = origin.trim_end_matches('/').to_ascii_lowercase();
            let base = base_url.to_ascii_lowercase();
            let base_origin = base
                .split_once("://")
                .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or("")));
            let host = text("host").map(str::to_ascii_lowercase);
            base_origin.as_deref() == Some(origin.as_str())
                || host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, o)| o == h))
        }
    }
}

/// The client a rate limit counts: the peer, or, when the peer is a
/// reverse proxy (on loopback, or one of `staff_web.trusted_proxies`), the
/// last address it wrote in `X-Forwarded-For`. An IPv6 client is counted by
/// its /64: one subscriber holds a whole /64 and could otherwise take a new
/// address per request.
pub fn client(peer: Option<&ConnectInfo<SocketAddr>>, headers: &HeaderMap, trusted: &[IpAddr]) -> String {
    let forwarded = || {
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    };
    // An IPv4 peer may arrive as ::ffff:a.b.c.d on a dual-stack socket.
    let ip = match peer.map(|c| c.0.ip().to_canonical()) {
        Some(ip) if ip.is_loopback() || trusted.contains(&ip) => forwarded().unwrap_or(ip),
        Some(ip) => ip,
        None => return "unknown".to_string(),
    };
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
        v4 => v4.to_string(),
    }
}

/// At most `max` events per key in a sliding hour.
pub struct Limiter {
    max: usize,
    window: Duration,
    seen: Mutex<HashMap<String, Vec<Instant>>>,
}

/// Keys remembered at most; past it, spent windows are forgotten, then the
/// keys with the fewest events (a flood of addresses cannot fill memory).
const MAX_KEYS: usize = 10_000;

impl Limiter {
    pub fn per_hour(max: usize) -> Limiter {
        Limiter { max, window: Duration::from_secs(3600), seen: Mutex::new(HashMap::new()) }
    }

    /// Counts one event for `key`; false when it is over the limit.
    pub fn allow(&self, key: &str, now: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_KEYS {
            seen.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < self.window));
        }
        if seen.len() >= MAX_KEYS {
            // Still full of live windows (a flood of clients): forget the
            // half with the fewest events. A key held at its limit has the
            // most, so no flood of new keys can wipe the count of the one
            // being held back (emptying the table did).
            let mut counts: Vec<(usize, String)> = seen.iter().map(|(k, t)| (t.len(), k.clone())).collect();
            counts.sort_unstable();
            for (_, key) in counts.into_iter().take(MAX_KEYS / 2) {
                seen.remove(&key);
            }
        }
        let times = seen.entry(key.to_string()).or_default();
        times.retain(|t| now.duration_since(*t) < self.window);
        if times.len() >= self.max {
            return false;
        }
        times.push(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_taken_only_from_this_sites_pages_as_the_browser_tells() {
        let base = "https://assistance.ac-exemple.fr/suivi";
        type Case = (&'static str, &'static [(&'static str, &'static str)], bool);
        let cases: [Case; 11] = [
            ("nothing said (curl, old browser)", &[], true),
            ("fetch metadata: same origin", &[("sec-fetch-site", "same-origin")], true),
            ("fetch metadata: typed by the user", &[("sec-fetch-site", "none")], true),
            ("fetch metadata: another site", &[("sec-fetch-site", "cross-site")], false),
            ("fetch metadata: a sibling host", &[("sec-fetch-site", "same-site")], false),
            (
                "fetch metadata wins over a matching origin",
                &[("sec-fetch-site", "cross-site"), ("origin", "https://assistance.ac-exemple.fr")],
                false,
            ),
            ("origin of base_url", &[("origin", "https://assistance.ac-exemple.fr")], true),
            ("origin of the host asked", &[("origin", "http://127.0.0.1:8025"), ("host", "127.0.0.1:8025")], true),
            (
                "origin elsewhere",
                &[("origin", "https://attacker.example"), ("host", "assistance.ac-exemple.fr")],
                false,
            ),
            ("origin on another scheme", &[("origin", "http://assistance.ac-exemple.fr")], false),
            ("no-referrer's null origin", &[("origin", "null")], true),
        ];
        for (name, given, expected) in cases {
            let mut headers = HeaderMap::new();
            for (n, v) in given {
                headers.insert(*n, HeaderValue::from_static(v));
            }
            assert_eq!(posted_from_here(&headers, base), expected, "{name}");
        }
    }

    #[test]
    fn a_key_is_held_past_its_hourly_count_and_others_are_not() {
        let limiter = Limiter::per_hour(2);
        let t0 = Instant::now();
        assert!(limiter.allow("a@x.fr", t0));
        assert!(limiter.allow("a@x.fr", t0));
        assert!(!limiter.allow("a@x.fr", t0), "third in the hour");
        assert!(limiter.allow("b@x.fr", t0), "another key");
        assert!(limiter.allow("a@x.fr", t0 + Duration::from_secs(3601)), "an hour later");
    }

    #[test]
    fn a_flood_of_new_keys_does_not_wipe_the_count_of_a_key_held_back() {
        let limiter = Limiter::per_hour(2);
        let t0 = Instant::now();
        assert!(limiter.allow("flooder", t0) && limiter.allow("flooder", t0));
        assert!(!limiter.allow("flooder", t0), "held back");
        for n in 0..3 * MAX_KEYS {
            assert!(limiter.allow(&format!("client-{n}"), t0), "a new client");
        }
        assert!(!limiter.allow("flooder", t0), "still held back after {} other clients", 3 * MAX_KEYS);
        let kept = limiter.seen.lock().expect("lock").len();
        assert!(kept <= MAX_KEYS, "memory stays bounded: {kept} keys");
    }

    #[test]
    fn the_client_is_counted_by_the_address_a_proxy_forwarded_and_by_its_ipv6_network() {
        let proxy: IpAddr = "10.0.0.5".parse().expect("addr");
        type Case = (&'static str, &'static str, Option<&'static str>, &'static str);
        let cases: [Case; 7] = [
            ("a configured proxy on another host", "10.0.0.5:443", Some("192.0.2.7"), "192.0.2.7"),
            ("a local proxy on a dual-stack socket", "[::ffff:127.0.0.1]:5000", Some("192.0.2.7"), "192.0.2.7"),
            ("a peer that is no proxy", "198.51.100.1:5000", Some("192.0.2.7"), "198.51.100.1"),
            ("an IPv4 peer seen on a dual-stack socket", "[::ffff:198.51.100.1]:5000", None, "198.51.100.1"),
            ("an IPv6 peer: its /64", "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:5000", None, "2001:db8:1:2::/64"),
            ("another address of that /64", "[2001:db8:1:2::9]:5000", None, "2001:db8:1:2::/64"),
            ("a forwarded IPv6 client: its /64", "127.0.0.1:5000", Some("2001:db8:5:6::1"), "2001:db8:5:6::/64"),
        ];
        for (name, peer, forwarded, expected) in cases {
            let mut headers = HeaderMap::new();
            if let Some(f) = forwarded {
                headers.insert("x-forwarded-for", HeaderValue::from_static(f));
            }
            let peer = ConnectInfo(peer.parse().expect("addr"));
            assert_eq!(client(Some(&peer), &headers, &[proxy]), expected, "{name}");
        }
    }

    #[test]
    fn the_client_is_the_proxys_forwarded_address_only_behind_loopback() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.9, 192.0.2.7"));
        let local = ConnectInfo("127.0.0.1:5000".parse().expect("addr"));
        let remote = ConnectInfo("198.51.100.1:5000".parse().expect("addr"));
        assert_eq!(client(Some(&local), &headers, &[]), "192.0.2.7");
        assert_eq!(client(Some(&remote), &headers, &[]), "198.51.100.1", "a remote peer cannot choose its address");
    }
}
