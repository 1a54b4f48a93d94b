//! The harness of the staff pages' tests: a real install whose daemon
//! serves the pages, plain HTTP requests that carry a cookie, and sign-in
//! exactly as a technician does it (the form, then the link of the mail
//! the file transport wrote into the outbox, then its button).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::http::{Answer, http};
use crate::support::{Install, free_port, mail};

pub const REQUESTER: &str = "secretariat@clg-moulin.ac-exemple.fr";
pub const ALICE: &str = "alice.martin@ac-exemple.fr";
pub const BRUNO: &str = "bruno.leroy@ac-exemple.fr";
pub const PARTNER: &str = "contact@partenaire.fr";
pub const TITLE: &str = "Vidéoprojecteur de la salle 12";

pub struct StaffSite {
    pub install: Install,
    pub port: u16,
    daemon: Option<Child>,
}

impl Drop for StaffSite {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn wait_for(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

/// An install with two tickets of REQUESTER's and a mail refused because
/// its sender's domain is not the institution's; its daemon serves the pages.
pub fn staff_site() -> StaffSite {
    staff_site_with("")
}

/// [`staff_site`] with `extra` appended to its configuration.
pub fn staff_site_with(extra: &str) -> StaffSite {
    let port = free_port();
    let install = Install::with_config(|c| {
        format!(
            "{c}\n[web]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\nsecret_file = \"web.key\"\n{extra}"
        )
    });
    let ask = |n: &str, from: &str, subject: &str, body: &str| {
        mail(&format!("From: {from}\nSubject: {subject}\nMessage-ID: <s-{n}@staff.test>"), body)
    };
    install.deliver("1.mail", &ask("1", REQUESTER, TITLE, "Il ne s'allume plus depuis ce matin."));
    install.deliver("2.mail", &ask("2", REQUESTER, "Badge de cantine perdu", "Un élève a perdu son badge."));
    install.deliver("3.mail", &ask("3", PARTNER, "Convention de stage", "Pouvez-vous signer la convention ?"));
    install.ok(&["run", "--once"]);
    let mut site = StaffSite { install, port, daemon: None };
    site.start();
    site
}

impl StaffSite {
    pub fn start(&mut self) {
        let daemon = Command::new(env!("CARGO_BIN_EXE_mailgate"))
            .arg("--config")
            .arg(self.install.config_path())
            .arg("run")
            .current_dir(self.install.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .env("RUST_LOG", "debug")
            .stderr(std::fs::File::create(self.install.path("daemon.log")).expect("log file"))
            .spawn()
            .expect("start the daemon");
        self.daemon = Some(daemon);
        let port = self.port;
        wait_for("the daemon to serve its pages", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Sends SIGHUP to this site's daemon (by its process id) and waits
    /// until its log says the configuration was reloaded once more.
    pub fn reload(&self) {
        let log = || std::fs::read_to_string(self.install.path("daemon.log")).unwrap_or_default();
        let reloads = || log().matches("configuration and templates reloaded").count();
        let before = reloads();
        let daemon = self.daemon.as_ref().expect("a running daemon");
        let sent = Command::new("kill").arg("-HUP").arg(daemon.id().to_string()).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -HUP");
        wait_for("the reload in the daemon's log", Duration::from_secs(30), || reloads() > before);
    }

    pub fn stop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            let _ = d.kill();
            let _ = d.wait();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every sign-in link mailed to `to` so far.
    pub fn signin_links(&self, to: &str) -> Vec<String> {
        let needle = format!("http://127.0.0.1:{}/staff/signin/confirm?t=", self.port);
        self.install
            .notifications()
            .iter()
            .filter(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(to))
            .filter_map(|m| m.body_text(0).map(|t| t.into_owned()))
            .filter_map(|text| Some(text[text.find(&needle)?..].split_whitespace().next()?.to_string()))
            .collect()
    }

    /// A sign-in link mailed to `to` that is not one of `seen`, waited for.
    pub fn new_signin_link(&self, to: &str, seen: &[String]) -> String {
        let mut found = None;
        wait_for("the sign-in mail in the outbox", Duration::from_secs(30), || {
            found = self.signin_links(to).into_iter().find(|l| !seen.contains(l));
            found.is_some()
        });
        found.expect("a sign-in link")
    }

    /// Signs `address` in through the form and the mailed link; the cookie.
    /// The query part (`?k=…`) of the personal link mailed to REQUESTER.
    pub fn requester_link_query(&self) -> String {
        self.install
            .notifications()
            .iter()
            .filter(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(REQUESTER))
            .filter_map(|m| m.body_text(0).map(|t| t.into_owned()))
            .find_map(|t| Some(t[t.find("?k=")?..].split_whitespace().next()?.to_string()))
            .expect("a personal link in the acknowledgement")
    }

    pub fn sign_in(&self, address: &str) -> String {
        let seen = self.signin_links(address);
        let page = self.get("/staff/signin", "");
        let csrf = field(&page.body, "csrf");
        let asked = self.post("/staff/signin", "", &format!("csrf={csrf}&address={}", address.replace('@', "%40")));
        assert_eq!(asked.status, 200, "{}", asked.body);
        let link = self.new_signin_link(address, &seen);
        let signed = self.press_signin_button(&link, "");
        assert_eq!(signed.status, 303, "the button signs in: {}", signed.body);
        let cookie = signed.header("set-cookie").expect("a session cookie").to_string();
        cookie.split(';').next().expect("name=value").to_string()
    }

    /// Opens a mailed sign-in `link` and presses its button, as the
    /// browser that opened it, with `extra` header lines.
    pub fn press_signin_button(&self, link: &str, extra: &str) -> Answer {
        let path = link.strip_prefix(&self.url("")).expect("a link to this site");
        let page = self.get(path, "");
        assert_eq!(page.status, 200, "{}", page.body);
        let cookie = page.header("set-cookie").expect("the button's cookie");
        let cookie = cookie.split(';').next().expect("name=value");
        let token = link.split("t=").nth(1).expect("a token");
        self.post_with("/staff/signin/confirm", cookie, extra, &format!("t={token}&b={}", field(&page.body, "b")))
    }

    pub fn get(&self, path: &str, cookie: &str) -> Answer {
        self.get_with(path, cookie, "")
    }

    /// A GET with `extra` header lines ("Name: value\r\n").
    pub fn get_with(&self, path: &str, cookie: &str, extra: &str) -> Answer {
        http(
            self.port,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{}{extra}\r\n", cookie_line(cookie)),
        )
    }

    pub fn post(&self, path: &str, cookie: &str, form: &str) -> Answer {
        self.post_with(path, cookie, "", form)
    }

    /// A form POST with `extra` header lines ("Name: value\r\n").
    pub fn post_with(&self, path: &str, cookie: &str, extra: &str, form: &str) -> Answer {
        http(
            self.port,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{}{extra}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
                cookie_line(cookie),
                form.len()
            ),
        )
    }

    /// A multipart form (`fields` as (name, file name, bytes); a file name
    /// makes the part a file), as a browser posts the followup form.
    pub fn post_multipart(&self, path: &str, cookie: &str, fields: &[(&str, Option<&str>, &[u8])]) -> Answer {
        const BOUNDARY: &str = "staff-form-boundary";
        let mut body = String::new();
        for (name, filename, bytes) in fields {
            let file = filename.map(|f| format!("; filename=\"{f}\"\r\nContent-Type: text/plain")).unwrap_or_default();
            body.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{}\r\n",
                String::from_utf8_lossy(bytes)
            ));
        }
        body.push_str(&format!("--{BOUNDARY}--\r\n"));
        http(
            self.port,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{}Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n{body}",
                cookie_line(cookie),
                body.len()
            ),
        )
    }
}

fn cookie_line(cookie: &str) -> String {
    if cookie.is_empty() { String::new() } else { format!("Cookie: {cookie}\r\n") }
}

/// The value of the first hidden field `name` in `html`.
pub fn field(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle).unwrap_or_else(|| panic!("no field {name}")) + needle.len();
    html[start..].split('"').next().expect("a value").to_string()
}

/// The value of field `name` in the first form after `marker` in `html`.
pub fn field_after(html: &str, marker: &str, name: &str) -> String {
    field(html.split_once(marker).unwrap_or_else(|| panic!("no {marker}")).1, name)
}
