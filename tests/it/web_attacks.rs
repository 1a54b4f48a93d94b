//! The web door attacked from outside: what another site can make a
//! visitor's browser do. A page elsewhere must not post a form of ours —
//! not even the staff sign-in button, whose link the attacker may hold
//! (signing a victim in as the attacker is login CSRF: the victim's notes
//! and answers would then be written under the attacker's name).

use crate::web_staff_site::{BRUNO, REQUESTER, field, staff_site};

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

    let forged = site.press_signin_button(&link, CROSS_SITE);
    assert_eq!(forged.status, 403, "a cross-site post is refused: {}", forged.body);
    assert!(forged.header("set-cookie").is_none(), "and sets no session cookie");

    let own = site.press_signin_button(&link, "Sec-Fetch-Site: same-origin\r\n");
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

/// The path of ticket 1's page in the personal link mailed to its requester.
fn requester_path(site: &crate::web_staff_site::StaffSite) -> String {
    let needle = format!("http://127.0.0.1:{}/ticket/1?k=", site.port);
    let link = site
        .install
        .notifications()
        .iter()
        .filter(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(REQUESTER))
        .filter_map(|m| m.body_text(0).map(|t| t.into_owned()))
        .find_map(|t| Some(t[t.find(&needle)?..].split_whitespace().next()?.to_string()))
        .expect("a personal link to ticket 1");
    link.strip_prefix(&site.url("")).expect("a link to this site").to_string()
}

/// Posts a multipart form of `fields` and `files` (name, bytes) to `path`;
/// the status and body of the answer.
fn post_files(port: u16, path: &str, fields: &[(&str, &str)], files: &[(String, Vec<u8>)]) -> (u16, String) {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (filename, bytes) in files {
        body.extend_from_slice(
            format!("--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--b--\r\n");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    post_raw(port, &head, &body)
}

#[test]
fn a_followup_form_holds_the_attachment_limits_a_mail_is_held_to() {
    let site = staff_site();
    let path = requester_path(&site);
    let page = site.get(&path, "");
    assert_eq!(page.status, 200);
    let k = path.split("k=").nth(1).expect("the link's token").to_string();
    let csrf = crate::web_staff_site::field_after(&page.body, "/ticket/1/followup", "csrf");
    let followups = || {
        let db = rusqlite::Connection::open(site.install.path("mailgate.db")).expect("the database");
        db.query_row("SELECT COUNT(*) FROM followups WHERE ticket_id = 1", [], |r| r.get::<_, i64>(0)).expect("count")
    };
    let before = followups();
    let fields = [("k", k.as_str()), ("csrf", csrf.as_str()), ("text", "Voici les fichiers.")];
    // limits.max_attachment_bytes is 20 MiB in the example configuration.
    let over = vec![(String::from("big.txt"), vec![b'a'; 20 * 1024 * 1024 + 1])];
    let many: Vec<(String, Vec<u8>)> = (0..=20).map(|i| (format!("f{i}.txt"), b"x".to_vec())).collect();
    for (name, files) in
        [("a file over limits.max_attachment_bytes", over), ("more files than limits.max_web_files", many)]
    {
        let (status, answer) = post_files(site.port, "/ticket/1/followup", &fields, &files);
        assert_eq!(status, 413, "{name}: {answer}");
        assert_eq!(followups(), before, "{name}: nothing written");
    }
    let one = vec![(String::from("note.txt"), b"ok".to_vec())];
    let (status, answer) = post_files(site.port, "/ticket/1/followup", &fields, &one);
    assert_eq!(status, 303, "a file within the limits: {answer}");
    assert_eq!(followups(), before + 1);
}

#[test]
fn a_form_without_files_is_refused_past_a_small_body_before_anything_reads_it() {
    let site = staff_site();
    // Anyone may post these, signed in or not: a body of the mail size limit
    // (30 MiB) each, on every connection, would fill the server's memory.
    let big = 2 * 1024 * 1024;
    for path in ["/ask", "/staff/signin", "/staff/signin/confirm", "/renew", "/ticket/1/accept", "/staff/outbox/retry"]
    {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {big}\r\n\r\n"
        );
        let (status, answer) = post_raw(site.port, &head, &vec![b'a'; big]);
        assert_eq!(status, 413, "{path}: {}", answer.lines().next().unwrap_or(""));
    }
}

/// Sends `head` then as much of `body` as the server takes; the status and
/// text of its answer.
fn post_raw(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).expect("timeout");
    stream.write_all(head.as_bytes()).expect("send the head");
    // The server may answer (and close) before the whole body is read.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    (text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0), text)
}

#[test]
fn a_followups_files_are_not_read_before_its_link_and_field_are_checked() {
    let site = staff_site();
    let path = requester_path(&site);
    let k = path.split("k=").nth(1).expect("the link's token").to_string();
    // A form announcing 25 MiB whose first file starts after a forged field:
    // the answer comes before the rest of the body is sent.
    let start = format!(
        "--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n{k}\r\n--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nforged\r\n--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.bin\"\r\n\r\nxxxx"
    );
    let head = format!(
        "POST /ticket/1/followup HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        25 * 1024 * 1024
    );
    let (status, answer) = post_raw(site.port, &head, start.as_bytes());
    assert_eq!(status, 403, "refused at the first file: {}", answer.lines().next().unwrap_or(""));
}
