//! The web door attacked from outside: what another site can make a
//! visitor's browser do. A page elsewhere must not post a form of ours —
//! not even the staff sign-in button, whose link the attacker may hold
//! (signing a victim in as the attacker is login CSRF: the victim's notes
//! and answers would then be written under the attacker's name).

use crate::web_staff_site::{BRUNO, field, staff_site};

/// What a browser adds to a form posted from a page of another site.
const CROSS_SITE: &str = "Origin: https://attacker.example\r\nSec-Fetch-Site: cross-site\r\n";

#[test]
fn a_sign_in_button_posted_from_another_site_signs_nobody_in_and_leaves_the_link_usable() {
    let site = staff_site();
    let page = site.get("/staff/signin", "");
    let csrf = field(&page.body, "csrf");
    let asked = site.post("/staff/signin", "", &format!("csrf={csrf}&address={}", BRUNO.replace('@', "%40")));
    assert_eq!(asked.status, 200);
    let link = site.new_signin_link(BRUNO, &[]);
    let token = link.split("t=").nth(1).expect("a token").to_string();

    let forged = site.post_with("/staff/signin/confirm", "", CROSS_SITE, &format!("t={token}"));
    assert_eq!(forged.status, 403, "a cross-site post is refused: {}", forged.body);
    assert!(forged.header("set-cookie").is_none(), "and sets no session cookie");

    let own = site.post_with("/staff/signin/confirm", "", "Sec-Fetch-Site: same-origin\r\n", &format!("t={token}"));
    assert_eq!(own.status, 303, "the button of our own page still signs in: {}", own.body);
    assert!(own.header("set-cookie").is_some());
}

#[test]
fn the_link_forms_posted_from_another_site_mail_nothing() {
    let site = staff_site();
    let before = site.signin_links(BRUNO).len();
    // The forms' day-bound fields are public: anyone may fetch them.
    let csrf = field(&site.get("/staff/signin", "").body, "csrf");
    let form = format!("csrf={csrf}&address={}", BRUNO.replace('@', "%40"));
    let only_origin = "Origin: https://attacker.example\r\n";
    for (name, headers) in [("fetch metadata", CROSS_SITE), ("origin only", only_origin)] {
        assert_eq!(site.post_with("/staff/signin", "", headers, &form).status, 403, "{name}");
    }
    let ask = field(&site.get("/ask", "").body, "csrf");
    let answer = site.post_with("/ask", "", CROSS_SITE, &format!("csrf={ask}&address=x%40ac-exemple.fr"));
    assert_eq!(answer.status, 403, "the ask form");
    // Our own form, as a browser with Referrer-Policy: no-referrer posts it.
    let own = "Origin: null\r\nSec-Fetch-Site: same-origin\r\n";
    assert_eq!(site.post_with("/staff/signin", "", own, &form).status, 200);
    crate::web_staff_site::wait_for("the one link asked from our own page", std::time::Duration::from_secs(30), || {
        site.signin_links(BRUNO).len() == before + 1
    });
}
