//! Issue 15: the requester's pages, served by `mailgate run` from a real
//! install and opened from the link of a real notification (.eml of the
//! file transport), in a headless Chromium and with plain HTTP requests.
//! A #private followup never reaches the page; a tampered, expired or
//! other ticket's link gets 403 and nothing of the ticket; a form without
//! its CSRF field is refused before it reaches the writer; an HTML file is
//! downloaded, never rendered; « Mes demandes » lists exactly the address's
//! tickets; every page passes axe-core with no serious or critical
//! violation, and the requester's page is photographed for the README.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailgate::web::token::{Key, Purpose};

use crate::support::browser::Browser;
use crate::support::http::{Answer, http};
use crate::support::{Install, free_port, mail};

pub(crate) const REQUESTER: &str = "secretariat@clg-moulin.ac-exemple.fr";
const OTHER: &str = "marie.dupont@ac-exemple.fr";
const ALICE: &str = "alice.martin@ac-exemple.fr";
const TITLE: &str = "Imprimante du secrétariat en panne";

/// An install whose daemon serves the pages, with three tickets: two of
/// REQUESTER's (the first with an HTML file, a private and a public
/// answer) and one of OTHER's.
pub(crate) struct Site {
    pub(crate) install: Install,
    port: u16,
    daemon: Child,
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

fn wait_for(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

pub(crate) fn site() -> Site {
    let port = free_port();
    let install = Install::with_config(|c| {
        format!(
            "{c}\n[web]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\nsecret_file = \"web.key\"\n"
        )
    });
    let html_file = "--sep\r\nContent-Type: text/html; name=\"page.html\"\r\nContent-Disposition: attachment; filename=\"page.html\"\r\n\r\n<script>document.title='pwned'</script>\r\n--sep--";
    let first = mail(
        &format!(
            "From: {REQUESTER}\nSubject: {TITLE}\nMessage-ID: <w-1@clg-moulin.ac-exemple.fr>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"sep\""
        ),
        &format!("--sep\nContent-Type: text/plain; charset=utf-8\n\nElle affiche « erreur 49 ».\n{html_file}"),
    );
    install.deliver("1.mail", &first);
    install.deliver(
        "2.mail",
        &mail(&format!("From: {OTHER}\nSubject: Clavier cassé\nMessage-ID: <w-2@ac-exemple.fr>"), "Touche A."),
    );
    install.deliver(
        "3.mail",
        &mail(
            &format!("From: {REQUESTER}\nSubject: Écran noir en salle 4\nMessage-ID: <w-3@clg-moulin.ac-exemple.fr>"),
            "Plus d'image.",
        ),
    );
    install.ok(&["run", "--once"]);
    let answer = |n: &str, body: &str| {
        mail(&format!("From: {ALICE}\nSubject: Re: [GLPI #0000001] {TITLE}\nMessage-ID: <w-{n}@ac-exemple.fr>"), body)
    };
    let private = mail(
        &format!(
            "From: {ALICE}\nSubject: Re: [GLPI #0000001] {TITLE}\nMessage-ID: <w-4@ac-exemple.fr>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"sep\""
        ),
        "--sep\nContent-Type: text/plain; charset=utf-8\n\n#privé\nSECRET-PRIVE : le mot de passe admin est 1234.\n--sep\nContent-Type: text/plain; name=\"secret.txt\"\nContent-Disposition: attachment; filename=\"secret.txt\"\n\nSECRET-FILE\n--sep--",
    );
    install.deliver("4.mail", &private);
    install.deliver("5.mail", &answer("5", "Bonjour,\nPUBLIC-ANSWER : le toner est changé, elle repart."));
    install.deliver("6.mail", &answer("6", "#resoudre\nLa cartouche était mal engagée : elle imprime de nouveau."));
    install.ok(&["run", "--once"]);
    let daemon = Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(install.config_path())
        .arg("run")
        .current_dir(install.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        // Everything it logs, at the most verbose: no token may be in it.
        .env("RUST_LOG", "trace")
        .stderr(std::fs::File::create(install.path("daemon.log")).expect("log file"))
        .spawn()
        .expect("start the daemon");
    wait_for("the daemon to serve its pages", Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Site { install, port, daemon }
}

impl Site {
    /// The link of ticket `ticket` in the latest notification to `to`, as
    /// the person reads it in their mail.
    pub(crate) fn link_in_mail(&self, to: &str, ticket: i64) -> String {
        let needle = format!("http://127.0.0.1:{}/ticket/{ticket}?k=", self.port);
        self.install
            .notifications()
            .iter()
            .filter(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(to))
            .filter_map(|m| m.body_text(0).map(|t| t.into_owned()))
            .filter_map(|text| {
                let start = text.find(&needle)?;
                Some(text[start..].split_whitespace().next()?.to_string())
            })
            .next_back()
            .unwrap_or_else(|| panic!("no notification to {to} links ticket {ticket}"))
    }

    fn key(&self) -> Key {
        Key::new(std::fs::read(self.install.path("web.key")).expect("the key made at start"))
    }

    fn path_of(&self, url: &str) -> String {
        url.strip_prefix(&format!("http://127.0.0.1:{}", self.port)).expect("a link to this site").to_string()
    }

    pub(crate) fn get(&self, path: &str) -> Answer {
        http(self.port, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    }

    pub(crate) fn post(&self, path: &str, form: &str) -> Answer {
        http(
            self.port,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
                form.len()
            ),
        )
    }
}

/// HTML as a browser reads its attributes (minijinja escapes `/`).
fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&amp;", "&")
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn docs(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join(name)
}

#[test]
fn the_link_of_a_notification_opens_the_public_timeline_in_a_browser_accessibly_on_desktop_and_phone() {
    let site = site();
    let link = site.link_in_mail(REQUESTER, 1);
    let page = unescaped(&site.get(&site.path_of(&link)).body);
    let mine_link = page
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("/mine?k="))
        .expect("the ticket's page links « Mes demandes »")
        .to_string();
    runtime().block_on(async {
        for (width, height, shot) in [(1280, 900, "requester-desktop.png"), (390, 844, "requester-phone.png")] {
            let browser = Browser::start(width, height).await;
            browser.client.goto(&link).await.expect("open the link");
            let html = browser.client.source().await.expect("page source");
            assert!(html.contains(TITLE), "the title is shown");
            assert!(html.contains("PUBLIC-ANSWER"), "the technician's public answer is in the timeline");
            assert!(html.contains("Elle affiche"), "the request is shown");
            assert!(!html.contains("SECRET-PRIVE"), "a #private followup never reaches the page");
            assert!(!html.contains("secret.txt"), "nor its file");
            assert!(html.contains("page.html"), "the requester's file is listed");
            assert!(html.contains("Accepter") && html.contains("Refuser"), "the solution waits for an answer");
            let violations = browser.serious_violations().await;
            assert!(violations.is_empty(), "{width}px: {violations:?}");
            let png = browser.client.screenshot().await.expect("screenshot");
            std::fs::write(docs(shot), png).expect("save the screenshot");
            if width == 1280 {
                for page in [mine_link.clone(), format!("http://127.0.0.1:{}/ask", site.port)] {
                    browser.client.goto(&page).await.expect("open");
                    let violations = browser.serious_violations().await;
                    assert!(violations.is_empty(), "{page}: {violations:?}");
                }
            }
            browser.close().await;
        }
    });
}

#[test]
fn tampered_expired_missing_and_other_ticket_links_get_403_with_nothing_of_the_ticket() {
    let site = site();
    let path = site.path_of(&site.link_in_mail(REQUESTER, 1));
    let (page, token) = path.split_once("?k=").expect("a token");
    let mut flipped = token.to_string();
    let last = flipped.pop().expect("a character");
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    let expired = site.key().sign(Purpose::Ticket, 1, REQUESTER, past);
    // A genuine link outlives the role it was mailed for: an observer taken
    // off the ticket (or anyone never on it) reads nothing with it.
    let soon = past + 3600;
    let no_longer_on_it = site.key().sign(Purpose::Ticket, 1, "ancien.observateur@ac-exemple.fr", soon);
    let cases = [
        ("no token", page.to_string()),
        ("a tampered token", format!("{page}?k={flipped}")),
        ("an expired token", format!("{page}?k={expired}")),
        ("ticket 1's token on ticket 2", format!("/ticket/2?k={token}")),
        ("ticket 1's token on « Mes demandes »", format!("/mine?k={token}")),
        ("ticket 1's token on another ticket's file", format!("/ticket/2/file/1?k={token}")),
        ("a good link of an address no longer on the ticket", format!("{page}?k={no_longer_on_it}")),
        ("its file, with that link", format!("/ticket/1/file/1?k={no_longer_on_it}")),
    ];
    for (name, path) in cases {
        let answer = site.get(&path);
        assert_eq!(answer.status, 403, "{name}");
        for secret in [TITLE, "Clavier", "Elle affiche", "PUBLIC-ANSWER", "page.html"] {
            assert!(!answer.body.contains(secret), "{name}: the answer shows {secret:?}");
        }
    }
    let answer = site.get(&format!("{page}?k={expired}"));
    assert!(answer.body.contains("action=\"/renew\""), "an expired link offers to mail a fresh one");
    assert_eq!(site.get(&path).status, 200, "the good link still opens");
    // Every file number, with ticket 1's good link: the private followup's
    // file (stored, as `tickets show` says) is never served.
    assert!(site.install.json(&["tickets", "show", "1"]).to_string().contains("secret.txt"));
    for file in 1..=6 {
        let answer = site.get(&format!("/ticket/1/file/{file}?k={token}"));
        assert!(!answer.body.contains("SECRET-FILE"), "file {file} is the private followup's");
    }
    let log = std::fs::read_to_string(site.install.path("daemon.log")).expect("the daemon's log");
    assert!(log.contains("serving the requester's pages"), "the log is the daemon's: {log}");
    for t in [token, &flipped, &expired] {
        assert!(!log.contains(t), "a token reached the log");
    }
}

#[test]
fn asking_for_a_link_answers_the_same_whatever_the_address_and_holds_a_flood() {
    let site = site();
    let csrf = |body: &str| {
        body.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("a CSRF field").to_string()
    };
    let form = csrf(&site.get("/ask").body);
    let answers: Vec<(u16, String)> = [REQUESTER, "stranger@gmail.com", "not an address", OTHER]
        .iter()
        .map(|a| {
            let a = site.post("/ask", &format!("csrf={form}&address={}", a.replace('@', "%40").replace(' ', "+")));
            (a.status, a.body)
        })
        .collect();
    assert!(answers.iter().all(|a| *a == answers[0]), "the same answer for every address");
    assert_eq!(answers[0].0, 200);
    assert_eq!(site.post("/ask", "address=x%40ac-exemple.fr").status, 403, "no CSRF field");
    // 20 a client an hour: four above, then the flood.
    let statuses: Vec<u16> =
        (0..17).map(|n| site.post("/ask", &format!("csrf={form}&address=p{n}%40ac-exemple.fr")).status).collect();
    assert_eq!(statuses[..16], [200; 16]);
    assert_eq!(statuses[16], 429, "the 21st ask of the hour from one client is held");
}

#[test]
fn the_demo_prints_a_personal_link_to_one_of_its_tickets() {
    let dir = tempfile::tempdir().expect("folder");
    let demo = dir.path().join("demo");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("demo")
        .arg("--dir")
        .arg(&demo)
        .output()
        .expect("run the demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let link = stdout.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:8025/ticket/")).expect("a link");
    let (page, token) = link.split_once("?k=").expect("a token");
    let ticket: i64 = page.rsplit('/').next().and_then(|n| n.parse().ok()).expect("a ticket number");
    let key = Key::new(std::fs::read(demo.join("web-secret.key")).expect("the demo's key"));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(key.verify(token, Purpose::Ticket, ticket, now).is_ok(), "the link opens its ticket");
}

#[test]
fn a_form_without_its_csrf_field_is_refused_before_it_reaches_the_writer() {
    let site = site();
    let path = site.path_of(&site.link_in_mail(REQUESTER, 1));
    let token = path.split_once("?k=").expect("a token").1;
    let good = site.key().csrf(token, "cancel");
    let other_form = site.key().csrf(token, "accept");
    let status_of_first = || {
        let tickets = site.install.json(&["tickets", "list"]);
        let first = tickets.as_array().expect("tickets").iter().find(|t| t["id"] == 1).cloned();
        first.expect("ticket 1")["status"].clone()
    };
    let before = status_of_first();
    let refused: [(&str, String); 3] = [
        ("no CSRF field", format!("k={token}")),
        ("another form's field", format!("k={token}&csrf={other_form}")),
        ("a made-up field", format!("k={token}&csrf=AAAA")),
    ];
    for (name, form) in refused {
        let answer = site.post("/ticket/1/cancel", &form);
        assert_eq!(answer.status, 403, "{name}: {}", answer.body);
    }
    assert_eq!(status_of_first(), before, "nothing reached the writer");
    // Its own field: past the check, the writer cancels, and the browser
    // is sent back to the ticket's page.
    let answer = site.post("/ticket/1/cancel", &format!("k={token}&csrf={good}"));
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(status_of_first(), "cancelled");
    // A technician's link (the staff may read the page) used to cancel:
    // the writer refuses, as only the requester may, and the page says so
    // in its own words; the writer's English reason, for operators, goes
    // to the log.
    let soon = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let alice = site.key().sign(Purpose::Ticket, 1, ALICE, soon);
    let csrf = site.key().csrf(&alice, "cancel");
    let answer = site.post("/ticket/1/cancel", &format!("k={alice}&csrf={csrf}"));
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("Cette action n&#x27;est pas possible"), "{}", answer.body);
    assert!(!answer.body.contains("observer"), "no operator's words on the page: {}", answer.body);
    assert!(!answer.body.contains("#1"), "no operator's words on the page: {}", answer.body);
}

#[test]
fn an_html_attachment_is_downloaded_never_rendered_and_every_answer_carries_the_security_headers() {
    let site = site();
    let path = site.path_of(&site.link_in_mail(REQUESTER, 1));
    let page = site.get(&path);
    let body = unescaped(&page.body);
    let file = body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("/file/"))
        .expect("a link to the file")
        .to_string();
    let download = site.get(&file);
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("application/octet-stream"));
    assert!(download.header("content-disposition").is_some_and(|d| d.starts_with("attachment;")));
    assert!(download.body.contains("<script>"), "the bytes are the file's own");
    for (name, answer) in
        [("page", page), ("file", download), ("403", site.get("/ticket/1")), ("css", site.get("/static/style.css"))]
    {
        assert_eq!(
            answer
                .header("content-security-policy")
                .map(|c| c.starts_with("default-src 'self'; frame-ancestors 'none'")),
            Some(true),
            "{name}"
        );
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{name}");
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"), "{name}");
    }
}

#[test]
fn mes_demandes_lists_exactly_the_tickets_of_the_links_address() {
    let site = site();
    let future = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let token = site.key().sign(Purpose::Mine, 0, REQUESTER, future);
    let answer = site.get(&format!("/mine?k={token}"));
    assert_eq!(answer.status, 200);
    let body = unescaped(&answer.body);
    let mut listed: Vec<&str> = body.split("/ticket/").skip(1).filter_map(|s| s.split('?').next()).collect();
    listed.sort_unstable();
    assert_eq!(listed, ["1", "3"], "REQUESTER's two tickets, not OTHER's");
    assert!(!answer.body.contains("Clavier"));
}
