//! Who may sign in, by link or through the proxy, as tables over the
//! shipped example configuration.

use std::net::IpAddr;
use std::path::Path;

use super::*;

const EXAMPLE: &str = include_str!("../../../config.example.toml");

fn config(staff_web: &str) -> Config {
    let text = format!("{EXAMPLE}\n[staff_web]\n{staff_web}\n");
    Config::from_toml(&text, Path::new("/etc/mailgate/mailgate.toml"), Path::new("/etc/mailgate")).expect("config")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an IP address")
}

#[test]
fn staff_are_technicians_and_group_members_and_only_admins_are_operators() {
    let config = config("");
    let cases = [
        ("a technician marked admin", "alice.martin@ac-exemple.fr", Some((true, vec!["dsi-bai"]))),
        ("the address in another case", " Alice.Martin@AC-exemple.fr ", Some((true, vec!["dsi-bai"]))),
        ("a technician who is not admin", "bruno.leroy@ac-exemple.fr", Some((false, vec!["dsi-bai"]))),
        ("a group member listed nowhere else", "claire.petit@ac-exemple.fr", Some((false, vec!["referents-lsu"]))),
        ("a group's list address is not a person", "dsi-reseau@ac-exemple.fr", None),
        ("a requester", "marie.dupont@ac-exemple.fr", None),
        ("an empty address", "", None),
    ];
    for (name, address, expected) in cases {
        let got = staff_member(&config, address).map(|m| (m.admin, m.groups));
        let expected =
            expected.map(|(admin, groups)| (admin, groups.into_iter().map(String::from).collect::<Vec<_>>()));
        assert_eq!(got, expected, "{name}");
    }
    assert_eq!(
        staff_member(&config, "alice.martin@ac-exemple.fr").and_then(|m| m.name).as_deref(),
        Some("Alice Martin")
    );
}

#[test]
fn a_link_goes_to_staff_only_and_not_past_the_pending_limit() {
    let config = config("max_pending_links = 2");
    let cases = [
        ("staff with no link out", "bruno.leroy@ac-exemple.fr", 0, "send"),
        ("staff with one link out", "bruno.leroy@ac-exemple.fr", 1, "send"),
        ("staff at the limit", "bruno.leroy@ac-exemple.fr", 2, "too many"),
        ("not staff", "marie.dupont@ac-exemple.fr", 0, "not staff"),
    ];
    for (name, address, pending, expected) in cases {
        let got = match signin_request(&config, address, pending) {
            SigninRequest::SendLink(_) => "send",
            SigninRequest::NotStaff => "not staff",
            SigninRequest::TooManyPending => "too many",
        };
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn the_proxy_header_is_believed_from_a_trusted_proxy_only_and_for_staff_only() {
    let trusted = config("trusted_proxies = [\"127.0.0.1\", \"10.0.0.5\"]\nuser_domain = \"ac-exemple.fr\"");
    let untrusting = config("");
    /// (what, configuration, peer, header, who the request is)
    type Case<'a> = (&'a str, &'a Config, &'a str, Option<&'a [u8]>, &'a str);
    let cases: [Case<'_>; 11] = [
        (
            "no proxy configured: the header means nothing",
            &untrusting,
            "127.0.0.1",
            Some(b"alice.martin@ac-exemple.fr"),
            "ignored",
        ),
        ("from another address: ignored", &trusted, "192.0.2.7", Some(b"alice.martin@ac-exemple.fr"), "ignored"),
        (
            "from the proxy, naming staff",
            &trusted,
            "127.0.0.1",
            Some(b"alice.martin@ac-exemple.fr"),
            "staff alice.martin@ac-exemple.fr",
        ),
        (
            "an IPv4-mapped IPv6 peer is the IPv4 proxy",
            &trusted,
            "::ffff:10.0.0.5",
            Some(b"bruno.leroy@ac-exemple.fr"),
            "staff bruno.leroy@ac-exemple.fr",
        ),
        (
            "a bare user name takes user_domain",
            &trusted,
            "10.0.0.5",
            Some(b"Claire.Petit"),
            "staff claire.petit@ac-exemple.fr",
        ),
        (
            "surrounding spaces are not part of it",
            &trusted,
            "10.0.0.5",
            Some(b"  bruno.leroy@ac-exemple.fr "),
            "staff bruno.leroy@ac-exemple.fr",
        ),
        ("from the proxy, naming a requester", &trusted, "127.0.0.1", Some(b"marie.dupont@ac-exemple.fr"), "not staff"),
        ("from the proxy, naming garbage", &trusted, "127.0.0.1", Some(b"\xff\xfe<script>"), "not staff"),
        (
            "from the proxy, two addresses",
            &trusted,
            "127.0.0.1",
            Some(b"alice.martin@ac-exemple.fr, x@y.fr"),
            "not staff",
        ),
        ("from the proxy, no header", &trusted, "127.0.0.1", None, "no user"),
        ("from the proxy, an empty header", &trusted, "127.0.0.1", Some(b"  "), "no user"),
    ];
    for (name, config, peer, header, expected) in cases {
        let got = match proxy_identity(config, ip(peer), header) {
            ProxyIdentity::NotFromTrustedProxy => "ignored".to_string(),
            ProxyIdentity::NoUser => "no user".to_string(),
            ProxyIdentity::NotStaff(_) => "not staff".to_string(),
            ProxyIdentity::Staff(m) => format!("staff {}", m.email),
        };
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn secrets_are_random_hex_stored_hashed_and_never_shown_in_debug() {
    let (a, b) = (Secret::generate().expect("random"), Secret::generate().expect("random"));
    assert_ne!(a, b);
    assert_eq!(a.expose().len(), 64);
    assert_eq!(presented_hash(a.expose()), Some(a.hash()), "what is presented hashes to what was stored");
    assert_ne!(a.hash(), a.expose());
    assert_eq!(format!("{a:?}"), "Secret(…)");
}

#[test]
fn a_presented_value_that_cannot_be_a_secret_is_refused_before_the_store() {
    let good = "0123456789abcdef".repeat(4);
    let cases = [
        ("the right shape", good.as_str(), true),
        ("upper case is not ours", &*good.to_uppercase(), false),
        ("too short", &good[..63], false),
        ("empty", "", false),
        ("SQL", "' OR 1=1 --", false),
    ];
    for (name, presented, accepted) in cases {
        assert_eq!(presented_hash(presented).is_some(), accepted, "{name}");
    }
}

#[test]
fn deadlines_follow_the_policy() {
    let policy = config("signin_link_minutes = 10\nsession_idle_hours = 2\nsession_max_days = 3").staff_web;
    let now = time::macros::datetime!(2026-03-01 09:00 UTC);
    assert_eq!(link_expiry(now, &policy), "2026-03-01T09:10:00Z");
    assert_eq!(
        session_deadlines(now, &policy),
        ("2026-03-01T11:00:00Z".to_string(), "2026-03-04T09:00:00Z".to_string())
    );
    assert_eq!(idle_deadline(now, &policy), "2026-03-01T11:00:00Z");
}

#[test]
fn cookies_are_http_only_lax_and_secure_over_https() {
    let secret = Secret("ab".repeat(32));
    let cases = [
        ("https", true, format!("sid={}; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax; Secure", "ab".repeat(32))),
        ("plain http", false, format!("sid={}; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax", "ab".repeat(32))),
    ];
    for (name, secure, expected) in cases {
        assert_eq!(session_cookie("sid", &secret, secure, Duration::from_secs(604_800)), expected, "{name}");
    }
    assert_eq!(cleared_cookie("sid", true), "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
}
