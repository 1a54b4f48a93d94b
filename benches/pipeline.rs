//! parse + decide + store for one message, on disk, as `mailgate run` does
//! it: a typical 10 KB request, a 10 KB reply that threads on an existing
//! ticket, and a 1 MB mail with an attachment. Like the daemon's writer,
//! mails are group-committed: each batch of `BATCH` mails is one
//! transaction (a savepoint per mail) made durable with one fsync before it
//! would be acknowledged; the last group commits and syncs every mail on
//! its own, for comparison. Throughput is in messages per second.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use mailgate::clock::SystemClock;
use mailgate::config::Config;
use mailgate::pipeline::Pipeline;
use mailgate::store::Store;

const CONFIG: &str = include_str!("../config.example.toml");

static SEQ: AtomicU64 = AtomicU64::new(0);

/// The daemon's batch: what one fetch from a source hands over.
const BATCH: u64 = 100;

/// Processes `iters` mails made by `make`, with a durable sync every
/// `batch` mails and at the end, as the daemon does before acknowledging.
fn run(p: &mut Pipeline, iters: u64, batch: u64, make: impl Fn(u64) -> (String, Vec<u8>)) -> Duration {
    let mails: Vec<(String, Vec<u8>)> = (0..iters).map(|_| make(SEQ.fetch_add(1, Ordering::Relaxed) + 1)).collect();
    let start = Instant::now();
    for (i, (key, raw)) in mails.iter().enumerate() {
        p.process("bench", key, raw).expect("processed");
        if (i as u64 + 1).is_multiple_of(batch) {
            p.make_durable().expect("sync");
        }
    }
    p.make_durable().expect("sync");
    start.elapsed()
}

fn paragraph() -> &'static str {
    "Bonjour, depuis ce matin l'imprimante du secrétariat affiche une erreur et \
     plus personne ne peut imprimer les bulletins. Nous avons redémarré le poste \
     sans succès. Pourriez-vous intervenir rapidement ? Merci d'avance.\r\n"
}

/// A request of about 10 KB: a text part and its HTML alternative.
fn request(seq: u64, subject: &str, extra_headers: &str) -> Vec<u8> {
    let text = paragraph().repeat(20);
    let html = format!("<html><body><p>{}</p></body></html>", paragraph().repeat(12).replace("\r\n", "</p><p>"));
    format!(
        "From: Marie Dupont <marie.dupont@ac-exemple.fr>\r\nTo: support-informatique@ac-exemple.fr\r\n\
         Subject: {subject}\r\nMessage-ID: <bench-{seq}@mail.ac-exemple.fr>\r\nDate: Mon, 3 Mar 2025 10:12:00 +0100\r\n{extra_headers}\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\
         --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
    )
    .into_bytes()
}

/// About 1 MB: a short text and a base64 attachment.
fn with_attachment(seq: u64) -> Vec<u8> {
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n";
    format!(
        "From: marie.dupont@ac-exemple.fr\r\nSubject: Journal d'erreurs\r\nMessage-ID: <bench-{seq}@mail.ac-exemple.fr>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n\
         --m\r\nContent-Type: application/octet-stream; name=\"journal.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--m--\r\n",
        line.repeat(13_500)
    )
    .into_bytes()
}

fn pipeline(dir: &Path) -> Pipeline {
    // One sender writes every mail: the inbound loop guard would stop
    // answering after 30, and the bench would measure that path instead.
    let text = CONFIG.replace("max_mails_per_sender_per_hour = 30", "max_mails_per_sender_per_hour = 0");
    let config = Arc::new(Config::from_toml(&text, &dir.join("mailgate.toml"), dir).expect("example config"));
    let store = Store::open(&config.database_path).expect("store");
    Pipeline::new(store, config, Arc::new(SystemClock)).expect("pipeline")
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut p = pipeline(dir.path());
    p.process("bench", "seed", &request(0, "Imprimante", "")).expect("seed ticket #1");
    p.store_mut().set_group_commit(true);

    let new_ticket = |seq: u64| (seq.to_string(), request(seq, "Imprimante en panne", ""));
    let followup =
        |seq: u64| (seq.to_string(), request(seq, "RE: [GLPI #0000001] Académie d'Exemple | Nouveau – Imprimante", ""));
    let big = |seq: u64| (seq.to_string(), with_attachment(seq));

    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    group.bench_function("new ticket, 10 KB", |b| b.iter_custom(|n| run(&mut p, n, BATCH, new_ticket)));
    group.bench_function("followup by token, 10 KB", |b| b.iter_custom(|n| run(&mut p, n, BATCH, followup)));
    group.sample_size(20);
    group.bench_function("new ticket with attachment, 1 MB", |b| b.iter_custom(|n| run(&mut p, n, BATCH, big)));
    group.bench_function("new ticket, 10 KB, fsync per mail", |b| b.iter_custom(|n| run(&mut p, n, 1, new_ticket)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
