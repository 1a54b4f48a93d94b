//! Outbox benchmark: a backlog of about 5,000 notifications (1,667 new
//! tickets, 3 notifications each) is recorded with the library, then
//! `mailgate run --once` (no sources: it only drains the outbox) sends them
//! to a throwaway Postfix on loopback with pooled connections, which hands
//! them to Dovecot by LMTP. Timed from start to exit, with peak RSS from the
//! kernel's high-water mark; every row must end `sent`.
//!
//!     bench/smtp                                # pool sizes 1 and 4
//!     MAILGATE_BENCH_POOL=8 cargo bench --bench smtp

#[path = "../tests/support/dovecot.rs"]
mod dovecot;
#[path = "../tests/support/postfix.rs"]
mod postfix;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dovecot::{Dovecot, DovecotOptions};
use mailgate::clock::SystemClock;
use mailgate::config::Config;
use mailgate::pipeline::Pipeline;
use mailgate::store::{OutboxState, Store};
use postfix::{Postfix, PostfixOptions};

const TICKETS: usize = 1_667;
const PEOPLE: [&str; 4] = ["marie.dupont", "paul.durand", "alice.martin", "bruno.leroy"];

fn config(dir: &Path, smtp_port: u16, pool: usize) -> String {
    format!(
        "[database]\npath = \"mailgate.db\"\n\n\
         [institution]\nname = \"Académie d'Exemple\"\nallowed_domains = [\"ac-exemple.fr\"]\n\
         ticket_url = \"https://assistance.ac-exemple.fr/front/ticket.form.php?id={{id}}\"\n\n\
         [notifications]\nfrom = \"Support informatique <support-informatique@ac-exemple.fr>\"\n\
         transport = \"smtp\"\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\npool_size = {pool}\n\
         # The benchmark writes to two requesters a thousand times.\nmax_per_address_per_hour = 0\n\n\
         [[technicians]]\nemail = \"alice.martin@ac-exemple.fr\"\nname = \"Alice Martin\"\n\n\
         [[technicians]]\nemail = \"bruno.leroy@ac-exemple.fr\"\nname = \"Bruno Leroy\"\n\n\
         # {}\n",
        dir.display()
    )
}

/// Records TICKETS requests, leaving their notifications pending.
fn backlog(config_path: &Path) -> usize {
    let config = Arc::new(Config::load(config_path).expect("bench config"));
    let store = Store::open(&config.database_path).expect("store");
    let mut pipeline = Pipeline::new(store, config, Arc::new(SystemClock)).expect("pipeline");
    pipeline.store_mut().set_group_commit(true);
    for i in 0..TICKETS {
        let raw = format!(
            "From: {} <{}@ac-exemple.fr>\r\nTo: support-informatique@ac-exemple.fr\r\nSubject: Demande {i} : poste en panne\r\n\
             Message-ID: <smtp-bench-{i}@ac-exemple.fr>\r\nDate: Mon, 3 Mar 2025 10:12:00 +0100\r\n\r\n\
             Bonjour,\r\nle poste {i} de la salle des professeurs ne démarre plus.\r\nMerci.\r\n",
            PEOPLE[i % 2],
            PEOPLE[i % 2]
        );
        pipeline.process("bench", &i.to_string(), raw.as_bytes()).expect("recorded");
    }
    pipeline.make_durable().expect("durable");
    pipeline.store().list_outbox(Some(OutboxState::Pending)).expect("outbox").len()
}

/// Runs the binary to completion; returns the wall time and peak RSS in KiB.
fn drain(config_path: &Path) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(config_path)
        .args(["run", "--once"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mailgate");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        let reading = std::fs::read_to_string(&status_file).ok().and_then(|status| {
            status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
        });
        peak = reading.unwrap_or(peak);
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "mailgate failed");
            break;
        }
        std::thread::park_timeout(Duration::from_millis(5));
    }
    (start.elapsed(), peak)
}

fn bench(pool: usize) {
    let users = PEOPLE.iter().map(|u| (u.to_string(), "pw".to_string())).collect();
    let dovecot = Dovecot::start(DovecotOptions { users, ..DovecotOptions::default() });
    let postfix = Postfix::start(PostfixOptions {
        lmtp_port: dovecot.lmtp_port(),
        domain: "ac-exemple.fr".into(),
        mailboxes: PEOPLE.iter().map(|u| format!("{u}@ac-exemple.fr")).collect(),
    });
    let dir = tempfile::tempdir().expect("temporary folder");
    let config_path = dir.path().join("mailgate.toml");
    std::fs::write(&config_path, config(dir.path(), postfix.smtp_port(), pool)).expect("config");
    let pending = backlog(&config_path);

    let (wall, peak_kib) = drain(&config_path);
    let store = Store::open(&dir.path().join("mailgate.db")).expect("store");
    let sent = store.list_outbox(Some(OutboxState::Sent)).expect("outbox").len();
    assert_eq!(sent, pending, "every notification was accepted by the MTA");
    let ceiling = mta_ceiling(&postfix, pending, pool);
    println!(
        "backlog {pending} notifications, pool {pool}: drained in {:.2} s = {:.0} notifications/s | peak RSS {:.1} MB \
         | Postfix's own smtp-source, same count and sessions: {:.0} mails/s",
        wall.as_secs_f64(),
        pending as f64 / wall.as_secs_f64(),
        peak_kib as f64 / 1024.0,
        pending as f64 / ceiling.as_secs_f64()
    );
}

/// The MTA's ceiling on this machine: Postfix's own load generator sends as
/// many mails of a notification's size (text + HTML, about 4 KB) over as
/// many sessions to the same Postfix, which delivers them to Dovecot as it
/// does mailgate's.
fn mta_ceiling(postfix: &Postfix, count: usize, sessions: usize) -> Duration {
    let start = Instant::now();
    let status = Command::new("smtp-source")
        .args(["-s", &sessions.to_string(), "-m", &count.to_string(), "-l", "4000"])
        .args(["-f", "support-informatique@ac-exemple.fr", "-t", "marie.dupont@ac-exemple.fr"])
        .arg(format!("127.0.0.1:{}", postfix.smtp_port()))
        .stdout(Stdio::null())
        .status()
        .expect("smtp-source (Debian's postfix package)");
    assert!(status.success(), "smtp-source failed");
    start.elapsed()
}

fn main() {
    // `cargo test --benches` runs bench targets with --bench absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let pools: Vec<usize> = match std::env::var("MAILGATE_BENCH_POOL") {
        Ok(p) => p.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![1, 4],
    };
    for pool in pools {
        bench(pool);
    }
}
