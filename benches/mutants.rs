//! Mutation fuzzing of the reading and deciding path (not run by CI; see
//! bench/fuzz/run). Every fixture is mutated (ops.rs) into `--count`
//! mutants, deterministically from `--seed`; each is parsed whole, then
//! processed by a `Pipeline` on an in-memory store holding the unmutated
//! corpus (so that replies thread), then its notifications are built as the
//! outbox sends them. Findings: a panic anywhere (the pipeline turns its own
//! into refusals "internal error…", counted too), a store error (the mail
//! would stay in its source, retried forever), a mutant slower than
//! `--slow` seconds. Each is saved under `--findings` as a reproducer. A
//! watchdog saves the mutant and stops the run if one hangs; the index being
//! worked on is kept in `target/mutants-current`, so that a crash (a stack
//! overflow cannot be caught) can be reproduced with `--save INDEX`.

#[path = "mutants/ops.rs"]
mod ops;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailgate::clock::SystemClock;
use mailgate::config::Config;
use mailgate::mail::parse::parse;
use mailgate::notify::transport::build_message;
use mailgate::pipeline::{Pipeline, Processed};
use mailgate::store::{OutboxState, Store};

const CONFIG: &str = include_str!("../config.example.toml");
/// A fresh store after this many mutants keeps memory and lookups small.
const MUTANTS_PER_STORE: u64 = 50;

struct Args {
    count: u64,
    seed: u64,
    slow: f64,
    hang: u64,
    findings: PathBuf,
    save: Option<u64>,
    file: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        count: 10_000,
        seed: 1,
        slow: 2.0,
        hang: 60,
        findings: PathBuf::from("bench/fuzz/findings"),
        save: None,
        file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--count" => a.count = value().parse().expect("--count N"),
            "--seed" => a.seed = value().parse().expect("--seed N"),
            "--slow" => a.slow = value().parse().expect("--slow SECONDS"),
            "--hang" => a.hang = value().parse().expect("--hang SECONDS"),
            "--findings" => a.findings = PathBuf::from(value()),
            "--save" => a.save = Some(value().parse().expect("--save INDEX")),
            "--file" => a.file = Some(PathBuf::from(value())),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

/// The corpus, in an order where the mails replies refer to come first.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for dir in ["fixtures/base", "fixtures/demo", "fixtures"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{dir}: {e} (run from the repository's root)"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).expect("fixture");
            all.push((f.display().to_string(), bytes));
        }
    }
    all
}

/// The mutant `index`: which fixture, the operators applied, the bytes.
fn mutant(seed: u64, index: u64, corpus: &[(String, Vec<u8>)]) -> (usize, Vec<&'static str>, Vec<u8>) {
    let mut rng = ops::Rng::for_mutant(seed, index);
    let fixture = rng.below(corpus.len());
    let (bytes, names) = ops::mutate(&mut rng, &corpus[fixture].1);
    (fixture, names, bytes)
}

/// A pipeline whose store holds the corpus, and its last outbox row.
fn fresh_pipeline(config: &Arc<Config>, corpus: &[(String, Vec<u8>)]) -> (Pipeline, i64) {
    let mut p = Pipeline::new(Store::open_in_memory().expect("store"), config.clone(), Arc::new(SystemClock))
        .expect("pipeline");
    for (i, (_, bytes)) in corpus.iter().enumerate() {
        p.process("corpus", &i.to_string(), bytes).expect("the corpus is recorded");
    }
    let rows = p.store().list_outbox(None).expect("outbox");
    let last = rows.iter().map(|r| r.id).max().unwrap_or(0);
    (p, last)
}

/// Peak resident memory of this process so far, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches(" kB").to_string()))
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("findings folder");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("reproducer written");
    path
}

/// Panics seen by the hook since the last take: "message at file:line".
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// The mutant being worked on (index + 1, 0 for none) and since when.
static CURRENT: AtomicU64 = AtomicU64::new(0);
static CURRENT_SINCE: Mutex<Option<(Instant, Arc<Vec<u8>>)>> = Mutex::new(None);

fn main() {
    let a = args();
    let corpus = fixtures();
    if let Some(index) = a.save {
        let (f, names, bytes) = mutant(a.seed, index, &corpus);
        let path = save(&a.findings, &format!("seed{}-mutant{index}.eml", a.seed), &bytes);
        println!("{}: {} of {} ({})", path.display(), names.join(" + "), corpus[f].0, bytes.len());
        return;
    }
    if let Some(file) = &a.file {
        stages(file, &corpus);
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned());
        PANICS.lock().unwrap_or_else(|e| e.into_inner()).push(format!("{} at {at}", what.unwrap_or_default()));
    }));
    let (hang, findings, seed) = (a.hang, a.findings.clone(), a.seed);
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let current = CURRENT.load(Ordering::Relaxed);
            let since = CURRENT_SINCE.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some((start, bytes)) = since
                && current > 0
                && start.elapsed() > Duration::from_secs(hang)
            {
                let path = save(&findings, &format!("hang-seed{seed}-mutant{}.eml", current - 1), &bytes);
                eprintln!("FINDING: mutant {} still running after {hang} s; saved as {}", current - 1, path.display());
                std::process::exit(2);
            }
        }
    });

    let dir = tempfile::tempdir().expect("temporary folder");
    let config = Arc::new(Config::from_toml(CONFIG, &dir.path().join("mailgate.toml"), dir.path()).expect("config"));
    let from = config.notifications.from.clone();
    let current_file = PathBuf::from("target/mutants-current");
    let (mut p, mut last_row) = fresh_pipeline(&config, &corpus);
    let mut report = Report::default();
    let started = Instant::now();
    let baseline_rss = peak_rss_kib();
    for index in 0..a.count {
        if index > 0 && index.is_multiple_of(MUTANTS_PER_STORE) {
            (p, last_row) = fresh_pipeline(&config, &corpus);
        }
        let (fixture, names, bytes) = mutant(a.seed, index, &corpus);
        let _ = std::fs::write(&current_file, index.to_string());
        let bytes = Arc::new(bytes);
        *CURRENT_SINCE.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), bytes.clone()));
        CURRENT.store(index + 1, Ordering::Relaxed);
        let what = format!("mutant {index}: {} of {} ({} bytes)", names.join(" + "), corpus[fixture].0, bytes.len());
        PANICS.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let start = Instant::now();

        let mut problems = Vec::new();
        if catch_unwind(AssertUnwindSafe(|| parse(&bytes).map(|m| m.text.len()))).is_err() {
            problems.push("panic in parse".to_string());
        }
        match catch_unwind(AssertUnwindSafe(|| p.process("fuzz", &index.to_string(), &bytes))) {
            Err(_) => problems.push("panic in Pipeline::process".into()),
            Ok(Err(e)) => problems.push(format!("pipeline error: {e}")),
            Ok(Ok(Processed::Recorded(applied))) => {
                report.count(applied.outcome.as_str());
                if let Some(reason) = applied.reason.filter(|r| r.starts_with("internal error")) {
                    problems.push(format!("contained panic: {reason}"));
                }
            }
            Ok(Ok(Processed::AlreadyRecorded(_))) => problems.push("a new key was taken as already recorded".into()),
        }
        match p.store().list_outbox(Some(OutboxState::Pending)) {
            Ok(rows) => {
                let since = last_row;
                for row in rows.iter().filter(|r| r.id > since) {
                    last_row = row.id;
                    let built = catch_unwind(AssertUnwindSafe(|| {
                        build_message(row, p.notifier().html(row), &from).map(|m| m.formatted().len())
                    }));
                    match built {
                        Err(_) => problems.push(format!("panic building notification {}", row.id)),
                        Ok(Err(e)) => report.unbuildable.push(format!("{what}: {e}")),
                        Ok(Ok(_)) => report.notifications += 1,
                    }
                }
            }
            Err(e) => problems.push(format!("cannot list the outbox: {e}")),
        }
        let took = start.elapsed().as_secs_f64();
        CURRENT.store(0, Ordering::Relaxed);
        let panics = std::mem::take(&mut *PANICS.lock().unwrap_or_else(|e| e.into_inner()));
        if took > a.slow {
            problems.push(format!("took {took:.2} s"));
        }
        report.slowest.push((took, what.clone()));
        report.slowest.sort_by(|x, y| y.0.total_cmp(&x.0));
        report.slowest.truncate(10);
        let rss = peak_rss_kib();
        if rss > report.peak_rss_kib {
            report.peak_rss_kib = rss;
            report.peak_by = what.clone();
        }
        if !problems.is_empty() || !panics.is_empty() {
            let path = save(&a.findings, &format!("seed{}-mutant{index}.eml", a.seed), &bytes);
            let line = format!("{what}: {} {}; saved as {}", problems.join("; "), panics.join("; "), path.display());
            eprintln!("FINDING {line}");
            report.findings.push(line);
        }
        if (index + 1).is_multiple_of(1000) {
            eprintln!(
                "{} mutants, {:.0} s, {} findings",
                index + 1,
                started.elapsed().as_secs_f64(),
                report.findings.len()
            );
        }
    }
    let text = report.render(a.count, a.seed, started.elapsed(), baseline_rss);
    println!("{text}");
    let _ = std::fs::write("target/mutants-report.txt", &text);
    let _ = std::fs::remove_file(&current_file);
    if !report.findings.is_empty() {
        std::process::exit(1);
    }
}

/// Times one mail (a reproducer) stage by stage: parse, process, notifications.
fn stages(file: &Path, corpus: &[(String, Vec<u8>)]) {
    let bytes = std::fs::read(file).expect("mail to time");
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = Arc::new(Config::from_toml(CONFIG, &dir.path().join("mailgate.toml"), dir.path()).expect("config"));
    let (mut p, last) = fresh_pipeline(&config, corpus);
    let start = Instant::now();
    let text = parse(&bytes).map(|m| m.text.len());
    println!("parse: {:.3} s ({text:?} bytes of text)", start.elapsed().as_secs_f64());
    let start = Instant::now();
    let done = p.process("file", "file", &bytes);
    println!("process: {:.3} s ({done:?})", start.elapsed().as_secs_f64());
    let rows = p.store().list_outbox(Some(OutboxState::Pending)).expect("outbox");
    for row in rows.iter().filter(|r| r.id > last) {
        let start = Instant::now();
        let built = build_message(row, p.notifier().html(row), &config.notifications.from).map(|m| m.formatted().len());
        println!(
            "notification {} to {}: {:.3} s ({built:?} bytes)",
            row.id,
            row.recipient,
            start.elapsed().as_secs_f64()
        );
    }
}

#[derive(Default)]
struct Report {
    outcomes: std::collections::BTreeMap<String, u64>,
    notifications: u64,
    unbuildable: Vec<String>,
    slowest: Vec<(f64, String)>,
    findings: Vec<String>,
    peak_rss_kib: u64,
    peak_by: String,
}

impl Report {
    fn count(&mut self, outcome: &str) {
        *self.outcomes.entry(outcome.to_string()).or_default() += 1;
    }

    fn render(&self, count: u64, seed: u64, took: Duration, baseline_rss: u64) -> String {
        let mut out = format!("{count} mutants (seed {seed}) in {:.0} s\n", took.as_secs_f64());
        let outcomes: Vec<String> = self.outcomes.iter().map(|(o, n)| format!("{o} {n}")).collect();
        out += &format!("outcomes: {}\n", outcomes.join(", "));
        out += &format!("notifications built: {}\n", self.notifications);
        out += &format!("notifications that could not be built (refused by the builder): {}\n", self.unbuildable.len());
        for u in self.unbuildable.iter().take(5) {
            out += &format!("  {u}\n");
        }
        out += &format!(
            "peak RSS: {:.1} MB (before the first mutant: {:.1} MB), reached at {}\n",
            self.peak_rss_kib as f64 / 1024.0,
            baseline_rss as f64 / 1024.0,
            self.peak_by
        );
        out += "slowest:\n";
        for (t, what) in &self.slowest {
            out += &format!("  {t:.3} s  {what}\n");
        }
        out += &format!("findings: {}\n", self.findings.len());
        for f in &self.findings {
            out += &format!("  {f}\n");
        }
        out
    }
}
