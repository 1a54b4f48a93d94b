//! Issue 16, on the server: who may open which staff page. Sign-in is by
//! a mailed single-use link whose GET uses nothing (mail scanners); no
//! session, an expired one or a requester's personal link opens no staff
//! page; a form without this session's CSRF field is refused; a
//! non-admin technician gets 403 on the operators' pages; an operator
//! replays a refused mail once its domain is added to the configuration.

use std::time::Duration;

use crate::web_staff_site::{
    ALICE, BRUNO, PARTNER, REQUESTER, field, field_after, staff_site, staff_site_with, wait_for,
};

#[test]
fn the_mailed_link_signs_in_once_and_only_by_its_button() {
    let site = staff_site();
    let page = site.get("/staff/signin", "");
    let csrf = field(&page.body, "csrf");
    let same_answer = |address: &str| site.post("/staff/signin", "", &format!("csrf={csrf}&address={address}")).body;
    assert_eq!(
        same_answer("personne%40ailleurs.fr"),
        same_answer("alice.martin%40ac-exemple.fr"),
        "the same answer for anyone"
    );
    let link = site.new_signin_link(ALICE, &[]);
    let path = link.strip_prefix(&site.url("")).expect("a link to this site").to_string();
    let scanned = site.get(&path, "");
    assert_eq!(scanned.status, 200, "a scanner's GET shows the button");
    let session_cookie = |a: &crate::support::http::Answer| {
        a.headers.iter().any(|(n, v)| n == "set-cookie" && v.starts_with("mailgate_staff="))
    };
    assert!(!session_cookie(&scanned), "and signs nobody in");
    // The token alone, posted without the page's cookie (another site's
    // page, from a browser that does not say where its forms come from):
    // refused, and the link is not used up.
    let token = path.split("t=").nth(1).expect("token");
    let forged = site.post("/staff/signin/confirm", "", &format!("t={token}"));
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(!session_cookie(&forged), "no session for a button of another browser");
    let signed = site.press_signin_button(&link, "");
    assert_eq!(signed.status, 303, "{}", signed.body);
    let cookie = signed.header("set-cookie").expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(site.press_signin_button(&link, "").status, 403, "the link serves once");
    assert!(site.signin_links(PARTNER).is_empty(), "a stranger gets no mail");
}

#[test]
fn no_session_an_expired_one_or_a_requesters_link_opens_no_staff_page_and_forms_need_their_field() {
    let site = staff_site();
    let to_signin = |answer: crate::support::http::Answer| {
        answer.status == 303 && answer.header("location").is_some_and(|l| l.ends_with("/staff/signin"))
    };
    assert!(to_signin(site.get("/staff", "")), "no cookie");
    assert!(to_signin(site.get("/staff/ticket/1", "mailgate_staff=0000")), "a made-up cookie");
    // A requester's personal link, as mailed to them: it is no session.
    let requester_link = site.requester_link_query();
    assert!(to_signin(site.get(&format!("/staff/ticket/1{requester_link}"), "")), "a requester's link");
    assert_eq!(site.post("/staff/ticket/1/act", "", "action=take").status, 403, "a form without a session");

    let cookie = site.sign_in(BRUNO);
    let page = site.get("/staff/ticket/1", &cookie);
    assert_eq!(page.status, 200);
    assert_eq!(site.post("/staff/ticket/1/act", &cookie, "action=take&csrf=forged").status, 403, "a forged field");
    for operators_page in
        ["/staff/journal", "/staff/outbox", "/staff/health", "/staff/journal/1", "/staff/journal/1/raw"]
    {
        assert_eq!(site.get(operators_page, &cookie).status, 403, "{operators_page} for a non-admin");
    }
    assert_eq!(site.post("/staff/journal/3/replay", &cookie, "csrf=x").status, 403, "replay for a non-admin");

    // The session runs out: its deadline passes in the database.
    let db = rusqlite::Connection::open(site.install.path("mailgate.db")).expect("the database");
    db.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
    db.execute("UPDATE web_sessions SET idle_until = '2000-01-01T00:00:00Z'", []).expect("expire");
    assert!(to_signin(site.get("/staff", &cookie)), "an expired session");
}

#[test]
fn an_operator_replays_a_refused_mail_after_its_domain_is_added_and_sees_health_and_outbox() {
    let mut site = staff_site();
    let cookie = site.sign_in(ALICE);
    let journal = site.get("/staff/journal?outcome=refused", &cookie);
    assert_eq!(journal.status, 200);
    assert!(journal.body.contains(PARTNER), "the refused mail is in the journal");
    let id: i64 = journal
        .body
        .split("id=\"replay-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("a replay button");
    let raw = site.get(&format!("/staff/journal/{id}/raw"), &cookie);
    assert_eq!(raw.header("content-type"), Some("application/octet-stream"));
    assert!(raw.header("content-disposition").is_some_and(|d| d.starts_with("attachment")));
    assert!(raw.body.contains("Convention de stage"));
    assert_eq!(site.get("/staff/health", &cookie).status, 200);
    assert_eq!(site.get("/staff/outbox", &cookie).status, 200);

    let config = std::fs::read_to_string(site.install.config_path()).expect("config");
    let widened = config
        .replace("allowed_domains = [\"ac-exemple.fr\"]", "allowed_domains = [\"ac-exemple.fr\", \"partenaire.fr\"]");
    assert_ne!(config, widened, "the example's allowed_domains line");
    std::fs::write(site.install.config_path(), widened).expect("write config");
    site.stop();
    site.start();
    let cookie = site.sign_in(ALICE);
    let page = site.get(&format!("/staff/journal/{id}"), &cookie);
    let replayed = site.post(
        &format!("/staff/journal/{id}/replay"),
        &cookie,
        &format!("csrf={}", field_after(&page.body, "/replay\"", "csrf")),
    );
    assert_eq!(replayed.status, 303, "{}", replayed.body);
    wait_for("the partner's ticket", Duration::from_secs(30), || {
        site.install.json(&["tickets", "list"]).as_array().is_some_and(|t| t.iter().any(|t| t["requester"] == PARTNER))
    });
    let history = site.install.json(&["tickets", "list"]);
    assert!(history.as_array().is_some_and(|t| t.len() == 3), "one ticket more, not two");
}

#[test]
fn the_trusted_proxys_user_header_signs_staff_in_and_nobody_else() {
    // The tests' requests come from 127.0.0.1, the proxy named here.
    let site = staff_site_with("[staff_web]\ntrusted_proxies = [\"127.0.0.1\"]\nuser_domain = \"ac-exemple.fr\"\n");
    let by_proxy = site.get_with("/staff", "", "X-Remote-User: alice.martin\r\n");
    assert_eq!(by_proxy.status, 200, "a bare user name, completed with user_domain");
    assert!(by_proxy.header("set-cookie").is_some_and(|c| c.contains("HttpOnly")), "a session for the forms");
    assert_eq!(site.get_with("/staff", "", &format!("X-Remote-User: {REQUESTER}\r\n")).status, 403, "not staff");
    let without = site.get("/staff", "");
    assert_eq!(without.status, 303, "no header from the proxy: sign in by mail");
}

#[test]
fn a_user_header_from_an_untrusted_address_is_ignored() {
    let site = staff_site_with("[staff_web]\ntrusted_proxies = [\"192.0.2.1\"]\n");
    let answer = site.get_with("/staff", "", &format!("X-Remote-User: {ALICE}\r\n"));
    assert_eq!(answer.status, 303, "anyone can write a header: it signs nobody in");
}
