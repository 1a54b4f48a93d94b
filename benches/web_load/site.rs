//! A throwaway install served by the release binary: the shipped example
//! configuration with the pages on a free loopback port, a Maildir polled
//! every second, and the per-sender loop guard off (a benchmark replays
//! thousands of mails from a few hundred senders at once).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mailgate::store::Store;
use mailgate::web::token::{Key, Purpose};

use crate::load::wait_for;

pub struct Site {
    pub dir: tempfile::TempDir,
    pub port: u16,
    daemon: Option<Child>,
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            let _ = d.kill();
            let _ = d.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().expect("temporary folder");
        let port = free_port();
        let config = include_str!("../../config.example.toml")
            .replace("max_mails_per_sender_per_hour = 30", "max_mails_per_sender_per_hour = 0")
            .replace("poll_seconds = 5 ", "poll_seconds = 1 ");
        let web = format!(
            "\n[web]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\nsecret_file = \"web.key\"\n"
        );
        std::fs::write(dir.path().join("mailgate.toml"), config + &web).expect("write the configuration");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.path().join("Maildir").join(sub)).expect("Maildir");
        }
        Site { dir, port, daemon: None }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn database(&self) -> PathBuf {
        self.path("mailgate.db")
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailgate"));
        cmd.arg("--config").arg(self.path("mailgate.toml")).current_dir(self.dir.path()).stdin(Stdio::null());
        cmd.stdout(Stdio::null()).env("RUST_LOG", "warn");
        cmd
    }

    /// `mailgate run --once`: what waits in the Maildir is recorded.
    pub fn run_once(&self) {
        let out = self.command().args(["run", "--once"]).output().expect("run mailgate");
        assert!(out.status.success(), "mailgate run --once: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Starts `mailgate run` and waits until it serves its pages.
    pub fn start(&mut self) {
        let log = std::fs::File::create(self.path("daemon.log")).expect("log file");
        self.daemon = Some(self.command().arg("run").stderr(log).spawn().expect("start the daemon"));
        let port = self.port;
        wait_for("the daemon to serve its pages", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Writes each mail in tmp/ first, then renames them all into new/ at
    /// once, as an MDA delivers: the daemon sees a backlog, not a trickle.
    pub fn deliver(&self, prefix: &str, mails: &[Vec<u8>]) {
        let tmp = self.path("Maildir/tmp");
        let new = self.path("Maildir/new");
        let names: Vec<String> = (0..mails.len()).map(|i| format!("{prefix}-{i}.mail")).collect();
        for (name, mail) in names.iter().zip(mails) {
            std::fs::write(tmp.join(name), mail).expect("write a mail");
        }
        for name in &names {
            std::fs::rename(tmp.join(name), new.join(name)).expect("deliver a mail");
        }
    }

    /// The personal link of `ticket` for `address`, signed with the
    /// install's key as a notification's would be: the path and query.
    pub fn link(&self, ticket: i64, address: &str) -> String {
        let key = Key::new(std::fs::read(self.path("web.key")).expect("the key made at the first run"));
        let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 86_400;
        format!("/ticket/{ticket}?k={}", key.sign(Purpose::Ticket, ticket, address, expires))
    }
}

/// Mails recorded so far, and notifications not yet written.
pub fn progress(database: &Path) -> (i64, i64) {
    let store = Store::open_read_only(database).expect("a reader");
    let counts = store.counts("").expect("counts");
    (counts.messages.iter().map(|(_, n)| n).sum(), counts.outbox_depth())
}

/// An RFC 5322 mail with CRLF line ends.
pub fn mail(headers: &str, body: &str) -> Vec<u8> {
    format!("{headers}\nDate: Mon, 01 Dec 2025 09:00:00 +0100\n\n{body}\n").replace('\n', "\r\n").into_bytes()
}
