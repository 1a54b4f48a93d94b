//! Sign-in links serve once and not after their time; sessions die idle,
//! at their absolute deadline, and at sign-out.

use super::*;

const T0: &str = "2026-03-01T09:00:00Z";

fn store() -> Store {
    Store::open_in_memory().expect("in-memory store")
}

#[test]
fn a_sign_in_link_can_be_used_once() {
    let mut s = store();
    s.insert_signin_token("h1", "alice@ac.fr", T0, "2026-03-01T09:15:00Z").expect("insert");
    assert_eq!(s.consume_signin_token("h1", "2026-03-01T09:01:00Z").expect("first"), Some("alice@ac.fr".into()));
    assert_eq!(s.consume_signin_token("h1", "2026-03-01T09:01:01Z").expect("second"), None, "used already");
}

#[test]
fn an_expired_link_signs_nobody_in_and_is_used_up() {
    let mut s = store();
    s.insert_signin_token("h1", "alice@ac.fr", T0, "2026-03-01T09:15:00Z").expect("insert");
    assert_eq!(s.consume_signin_token("h1", "2026-03-01T09:15:00Z").expect("at expiry"), None);
    assert_eq!(s.pending_signin_links("alice@ac.fr", T0).expect("count"), 0, "the expired link is gone");
}

#[test]
fn an_unknown_token_signs_nobody_in() {
    let mut s = store();
    assert_eq!(s.consume_signin_token("nothing", T0).expect("consume"), None);
}

#[test]
fn pending_links_count_only_unused_unexpired_links_of_that_address() {
    let mut s = store();
    s.insert_signin_token("a1", "alice@ac.fr", T0, "2026-03-01T09:15:00Z").expect("a1");
    s.insert_signin_token("a2", "alice@ac.fr", T0, "2026-03-01T09:05:00Z").expect("a2");
    s.insert_signin_token("a3", "alice@ac.fr", T0, "2026-03-01T09:15:00Z").expect("a3");
    s.insert_signin_token("b1", "bob@ac.fr", T0, "2026-03-01T09:15:00Z").expect("b1");
    s.consume_signin_token("a3", T0).expect("use a3");
    assert_eq!(s.pending_signin_links("alice@ac.fr", "2026-03-01T09:10:00Z").expect("count"), 1);
}

#[test]
fn a_session_lives_while_used_and_dies_idle_or_at_its_absolute_deadline() {
    let cases = [
        // (what, touches: (now, new idle deadline), live after the last touch)
        ("used within the idle time", vec![("2026-03-01T12:00:00Z", "2026-03-01T20:00:00Z")], true),
        ("left idle past its deadline", vec![("2026-03-01T17:00:01Z", "2026-03-02T01:00:01Z")], false),
        (
            "kept alive by use, until the absolute deadline",
            vec![
                ("2026-03-01T16:00:00Z", "2026-03-02T00:00:00Z"),
                ("2026-03-01T23:00:00Z", "2026-03-02T07:00:00Z"),
                ("2026-03-02T06:00:00Z", "2026-03-02T14:00:00Z"),
                ("2026-03-02T09:00:00Z", "2026-03-02T17:00:00Z"),
            ],
            false,
        ),
    ];
    for (what, touches, live) in cases {
        let mut s = store();
        // Idle 8 h, absolute 24 h.
        s.create_session("sid", "alice@ac.fr", SessionOrigin::Link, T0, "2026-03-01T17:00:00Z", "2026-03-02T09:00:00Z")
            .expect("create");
        let mut last = None;
        for (now, idle_until) in &touches {
            last = s.touch_session("sid", now, idle_until).expect("touch");
        }
        assert_eq!(last.is_some(), live, "{what}");
        if let Some(session) = last {
            assert_eq!(session.email, "alice@ac.fr");
            assert!(session.idle_until <= session.absolute_until, "{what}: idle never past absolute");
        } else {
            assert_eq!(
                s.touch_session("sid", T0, "2026-03-01T10:00:00Z").expect("again"),
                None,
                "{what}: refused stays refused"
            );
        }
    }
}

#[test]
fn the_idle_deadline_never_passes_the_absolute_one() {
    let mut s = store();
    s.create_session("sid", "alice@ac.fr", SessionOrigin::Proxy, T0, "2026-03-09T00:00:00Z", "2026-03-02T09:00:00Z")
        .expect("create");
    let live = s.touch_session("sid", "2026-03-02T08:00:00Z", "2026-03-02T16:00:00Z").expect("touch").expect("live");
    assert_eq!(live.idle_until, "2026-03-02T09:00:00Z");
    assert_eq!(live.origin, SessionOrigin::Proxy);
}

#[test]
fn sign_out_ends_the_session() {
    let mut s = store();
    s.create_session("sid", "alice@ac.fr", SessionOrigin::Link, T0, "2026-03-01T17:00:00Z", "2026-03-08T09:00:00Z")
        .expect("create");
    assert!(s.delete_session("sid").expect("sign out"));
    assert_eq!(s.touch_session("sid", T0, "2026-03-01T17:00:00Z").expect("touch"), None);
    assert!(!s.delete_session("sid").expect("twice"), "nothing left to delete");
}

#[test]
fn ending_someones_sessions_and_purging_leave_the_others() {
    let mut s = store();
    for (id, who, idle) in [
        ("a", "alice@ac.fr", "2026-03-01T17:00:00Z"),
        ("b", "bob@ac.fr", "2026-03-01T17:00:00Z"),
        ("c", "bob@ac.fr", "2026-03-01T10:00:00Z"),
    ] {
        s.create_session(id, who, SessionOrigin::Link, T0, idle, "2026-03-08T09:00:00Z").expect("create");
    }
    s.insert_signin_token("old", "bob@ac.fr", T0, "2026-03-01T09:15:00Z").expect("token");
    assert_eq!(s.purge_web_auth("2026-03-01T11:00:00Z").expect("purge"), 2, "the idle session and the old link");
    assert_eq!(s.delete_sessions_of("bob@ac.fr").expect("end bob's"), 1);
    assert!(s.touch_session("a", "2026-03-01T12:00:00Z", "2026-03-01T20:00:00Z").expect("touch").is_some());
}
