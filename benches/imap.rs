//! End-to-end IMAP benchmark: N generated mails (about 30% replies to
//! earlier tickets, one in twenty with a 100 KB attachment) are appended to
//! a throwaway Dovecot on loopback; then, in the same run, the raw ceiling
//! (a plain UID FETCH of the whole folder in batches, no processing) and
//! `mailgate run --once` (fetch, record, durable sync, MOVE) are timed, and
//! mailgate's peak RSS is read from the kernel's high-water mark.
//!
//!     cargo bench --bench imap                 # N = 1,000 and 10,000
//!     MAILGATE_BENCH_N=2000 cargo bench --bench imap
//!     MAILGATE_BENCH_BIN=/tmp/mailgate-old bench/imap 10000   # another build

#[path = "../tests/support/dovecot.rs"]
mod dovecot;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use async_imap::Client;
use dovecot::{Dovecot, DovecotOptions};
use futures::TryStreamExt;

const BATCH: usize = 100;

fn generated_mail(i: usize) -> Vec<u8> {
    let reply = i % 10 < 3 && i > 10;
    let subject = if reply {
        format!("RE: [GLPI #{:07}] Académie d'Exemple | Nouveau – Demande {}", (i * 7) % (i / 2).max(1) + 1, i)
    } else {
        format!("Demande {i} : poste {} en panne", i % 97)
    };
    let mut body = String::new();
    for n in 0..(8 + i % 16) {
        body.push_str(&format!(
            "Ligne {n} : le poste de la salle {} affiche une erreur depuis ce matin, merci de votre aide.\r\n",
            i % 40
        ));
    }
    if reply {
        body.push_str("\r\nLe lun. 3 mars 2025 à 10:12, Support informatique <support-informatique@ac-exemple.fr> a écrit :\r\n> =-=-=-= Pour répondre par courriel, écrivez au-dessus de cette ligne =-=-=-=\r\n> Votre demande a bien été enregistrée.\r\n");
    }
    let head = format!(
        "From: Agent {i} <agent{}@ac-exemple.fr>\r\nTo: support-informatique@ac-exemple.fr\r\nSubject: {subject}\r\nMessage-ID: <bench-{i}@ac-exemple.fr>\r\nDate: Mon, 3 Mar 2025 10:12:00 +0100\r\nMIME-Version: 1.0\r\n",
        i % 300
    );
    if i % 20 == 7 {
        let attachment: String =
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n".repeat(1_350);
        format!("{head}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--b\r\nContent-Type: application/pdf; name=\"rapport.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{attachment}--b--\r\n").into_bytes()
    } else {
        format!("{head}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}")
            .into_bytes()
    }
}

/// A plain fetch of the whole folder, batch by batch, discarding the bytes.
async fn raw_fetch(port: u16) -> (usize, Duration) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let mut client = Client::new(tcp);
    client.read_response().await.expect("greeting");
    let mut session = client.login("support", "secret").await.map_err(|(e, _)| e).expect("login");
    let start = Instant::now();
    session.select("INBOX").await.expect("select");
    let mut uids: Vec<u32> = session.uid_search("ALL").await.expect("search").into_iter().collect();
    uids.sort_unstable();
    let mut count = 0;
    for chunk in uids.chunks(BATCH) {
        let set = chunk.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let fetched: Vec<_> =
            session.uid_fetch(&set, "(UID BODY.PEEK[])").await.expect("fetch").try_collect().await.expect("fetch");
        count += fetched.iter().filter(|f| f.body().is_some()).count();
    }
    (count, start.elapsed())
}

/// What one `mailgate run --once` measured.
struct Run {
    wall: Duration,
    /// From mailgate's "pass done" line: fetch, record, sync and MOVE.
    intake: Duration,
    /// The same line: the notifications drained to the file transport.
    outbox: Duration,
    peak_kib: u64,
}

/// Runs mailgate to completion, reading its peak RSS while it runs.
fn run_mailgate(config: &std::path::Path) -> Run {
    let log = config.with_file_name("mailgate.log");
    let start = Instant::now();
    // MAILGATE_BENCH_BIN: another build to time against this one, on the
    // same generated folder (an A/B on a noisy machine, runs interleaved).
    let binary = std::env::var_os("MAILGATE_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_mailgate").into());
    let mut child = Command::new(binary)
        .arg("--config")
        .arg(config)
        .args(["run", "--once"])
        .env("RUST_LOG", "warn,mailgate::daemon=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start mailgate");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        // VmHWM is the kernel's high-water mark: the last reading before
        // exit is the peak, whatever happened between readings.
        let reading = std::fs::read_to_string(&status_file).ok().and_then(|status| {
            status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
        });
        peak_kib = reading.unwrap_or(peak_kib);
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "mailgate failed: {}", std::fs::read_to_string(&log).unwrap_or_default());
            break;
        }
        std::thread::park_timeout(Duration::from_millis(5));
    }
    let wall = start.elapsed();
    let log = std::fs::read_to_string(&log).expect("log");
    let field = |name: &str| -> Duration {
        let line = log.lines().find(|l| l.contains("pass done")).expect("a pass-done line");
        let value = line.split_whitespace().find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok());
        Duration::from_millis(value.expect("field in the pass-done line"))
    };
    Run { wall, intake: field("intake_ms"), outbox: field("outbox_ms"), peak_kib }
}

fn bench(n: usize, rt: &tokio::runtime::Runtime) {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let dir = tempfile::tempdir().expect("temporary folder");
    // A backlog replayed at once: 10,000 mails from 300 senders would trip
    // the per-sender loop guard, which is not what is measured here.
    let example = include_str!("../config.example.toml")
        .replace("max_mails_per_sender_per_hour = 30", "max_mails_per_sender_per_hour = 0");
    let start = example.find("[[sources]]").expect("source");
    let end = example.find("[institution]").expect("institution");
    let source = format!(
        "[[sources]]\nkind = \"imap\"\nname = \"support\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"support\"\npassword = \"secret\"\nprocessed_folder = \"Traités\"\nrefused_folder = \"Refusés\"\nbatch_size = {BATCH}\n\n",
        dovecot.imap_port()
    );
    let config = dir.path().join("mailgate.toml");
    std::fs::write(&config, format!("{}{source}{}", &example[..start], &example[end..])).expect("config");

    let mails: Vec<Vec<u8>> = (0..n).map(generated_mail).collect();
    let bytes: usize = mails.iter().map(Vec::len).sum();
    let appended = Instant::now();
    dovecot.append_many("support", "INBOX", &mails);
    let append_time = appended.elapsed();

    let (fetched, raw) = rt.block_on(raw_fetch(dovecot.imap_port()));
    assert_eq!(fetched, n, "the raw fetch saw every mail");
    let run = run_mailgate(&config);
    assert!(dovecot.list_uids("support", "INBOX").is_empty(), "mailgate took every mail");

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let raw_rate = rate(raw);
    println!(
        "N = {n:>6} ({:.1} MB, appended in {:.1} s) | raw fetch {:>6.0} mails/s | mailgate run --once {:>5.0} mails/s \
         ({:.0}% of raw; intake {:>5.0} mails/s = {:.0}% of raw, then {:.1} s for the notifications) | peak RSS {:.1} MB",
        bytes as f64 / 1e6,
        append_time.as_secs_f64(),
        raw_rate,
        rate(run.wall),
        100.0 * rate(run.wall) / raw_rate,
        rate(run.intake),
        100.0 * rate(run.intake) / raw_rate,
        run.outbox.as_secs_f64(),
        run.peak_kib as f64 / 1024.0
    );
}

fn main() {
    // `cargo test --benches` runs bench targets with --bench absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let sizes: Vec<usize> = match std::env::var("MAILGATE_BENCH_N") {
        Ok(n) => n.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![1_000, 10_000],
    };
    for n in sizes {
        bench(n, &rt);
    }
}
