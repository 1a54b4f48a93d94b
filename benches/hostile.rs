//! Proof that reading a mail costs time linear in its size, whatever it
//! holds (issue 11): each pathological family of [`families`] is measured at
//! sizes N, 2N and 4N, (a) parsed alone, (b) through the whole
//! `Pipeline::process` on an in-memory store (parse, decide, record, queue
//! the notifications), and (c) with its queued notifications built for the
//! wire as the outbox does (`build_message`, then the bytes lettre writes).
//! Criterion prints the times; the growth factor per doubling of each
//! family is printed at the end and written to `target/hostile-growth.txt`
//! (target ≤ 2.5×: a quadratic cost shows as 4×).
//!
//! `MAILGATE_HOSTILE_SCALE=0.5` scales every N. With
//! `MAILGATE_HOSTILE_WRITE=DIR [MAILGATE_HOSTILE_BYTES=31457000]`, the bench
//! writes each family as one mail just under that size into DIR and exits:
//! the mails `mailgate ingest` is timed on for the absolute targets.

#[path = "hostile/families.rs"]
mod families;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

use families::{FAMILIES, Family, marker, stamp};
use mailgate::clock::SystemClock;
use mailgate::config::Config;
use mailgate::mail::parse::parse;
use mailgate::notify::transport::build_message;
use mailgate::pipeline::{Pipeline, Processed};
use mailgate::store::{OutboxState, Store};

const CONFIG: &str = include_str!("../config.example.toml");
const MULTIPLIERS: [usize; 3] = [1, 2, 4];
const MEASURES: [&str; 3] = ["parse", "process", "notifications"];
/// Past this growth per doubling, a cost is not near linear.
const TARGET_GROWTH: f64 = 2.5;

/// Seconds per iteration, by (family, measure, multiplier), for the table.
type Samples = BTreeMap<(usize, usize, usize), Vec<f64>>;
static SAMPLES: Mutex<Samples> = Mutex::new(BTreeMap::new());

fn note(family: usize, measure: usize, mult: usize, iters: u64, took: Duration) {
    let mut samples = SAMPLES.lock().unwrap_or_else(|e| e.into_inner());
    samples.entry((family, measure, mult)).or_default().push(took.as_secs_f64() / iters.max(1) as f64);
}

fn config(dir: &Path) -> Arc<Config> {
    Arc::new(Config::from_toml(CONFIG, &dir.join("mailgate.toml"), dir).expect("example config"))
}

fn pipeline(config: &Arc<Config>) -> Pipeline {
    let store = Store::open_in_memory().expect("in-memory store");
    Pipeline::new(store, config.clone(), Arc::new(SystemClock)).expect("pipeline")
}

/// What one mail of the family became, for the table: outcome and the
/// bytes of its notifications on the wire.
struct Effect {
    outcome: String,
    notifications: usize,
    notification_bytes: usize,
}

fn bench_family(c: &mut Criterion, config: &Arc<Config>, index: usize, family: &Family, scale: f64) -> Vec<Effect> {
    let mut group = c.benchmark_group(family.name);
    group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    group.sampling_mode(SamplingMode::Flat);
    let from = config.notifications.from.clone();
    let mut effects = Vec::new();
    for (m, mult) in MULTIPLIERS.into_iter().enumerate() {
        let n = ((family.base as f64 * scale) as usize).max(1) * mult;
        let mut mail = (family.make)(n);
        let at = marker(&mail);
        let label = format!("{n} {} ({} KiB)", family.unit, mail.len() >> 10);
        group.throughput(Throughput::Bytes(mail.len() as u64));

        group.bench_function(BenchmarkId::new("parse", &label), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(parse(std::hint::black_box(&mail)).expect("parsed"));
                }
                let took = start.elapsed();
                note(index, 0, m, iters, took);
                took
            })
        });

        let mut seq = 0u64;
        group.bench_function(BenchmarkId::new("process", &label), |b| {
            b.iter_custom(|iters| {
                let mut p = pipeline(config);
                let mut took = Duration::ZERO;
                for _ in 0..iters {
                    seq += 1;
                    stamp(&mut mail, at, seq);
                    let start = Instant::now();
                    let done = p.process("bench", &seq.to_string(), std::hint::black_box(&mail)).expect("recorded");
                    took += start.elapsed();
                    std::hint::black_box(done);
                }
                note(index, 1, m, iters, took);
                took
            })
        });

        // The notifications of one such mail, built as the outbox sends them.
        let mut p = pipeline(config);
        let outcome = match p.process("bench", "once", &mail).expect("recorded") {
            Processed::Recorded(a) => format!(
                "{}{}",
                a.outcome.as_str(),
                a.reason.map(|r| format!(": {}", r.chars().take(60).collect::<String>())).unwrap_or_default()
            ),
            Processed::AlreadyRecorded(_) => "already recorded".into(),
        };
        let rows = p.store().list_outbox(Some(OutboxState::Pending)).expect("outbox");
        let notifier = p.notifier();
        let build = || -> usize {
            rows.iter()
                .map(|row| build_message(row, notifier.html(row), &from).expect("notification").formatted().len())
                .sum()
        };
        effects.push(Effect { outcome, notifications: rows.len(), notification_bytes: build() });
        group.bench_function(BenchmarkId::new("notifications", &label), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(build());
                }
                let took = start.elapsed();
                note(index, 2, m, iters, took);
                took
            })
        });
    }
    group.finish();
    effects
}

/// The fastest sample: on a machine shared with other builds, the one
/// least disturbed by them (criterion's own figures are means).
fn fastest(v: &[f64]) -> Option<f64> {
    v.iter().copied().min_by(f64::total_cmp)
}

fn human(seconds: f64) -> String {
    match seconds {
        s if s >= 1.0 => format!("{s:.2} s"),
        s if s >= 1e-3 => format!("{:.2} ms", s * 1e3),
        s => format!("{:.1} µs", s * 1e6),
    }
}

/// The growth table: per family and measure, the fastest time at N, 2N, 4N
/// and the factor per doubling; then what the largest mail became.
fn growth_table(effects: &BTreeMap<usize, Vec<Effect>>) -> String {
    let samples = SAMPLES.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = String::from(
        "| family | measure | N | 2N | 4N | growth N→2N | growth 2N→4N |\n|---|---|---|---|---|---|---|\n",
    );
    let mut worst: Option<(f64, String)> = None;
    for (f, family) in FAMILIES.iter().enumerate() {
        for (m, measure) in MEASURES.iter().enumerate() {
            let times: Vec<Option<f64>> =
                (0..MULTIPLIERS.len()).map(|k| samples.get(&(f, m, k)).and_then(|s| fastest(s))).collect();
            if times.iter().all(Option::is_none) {
                continue;
            }
            let cell = |t: Option<f64>| t.map(human).unwrap_or_else(|| "-".into());
            let mut growth = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) if a > 0.0 => {
                    let g = b / a;
                    if worst.as_ref().is_none_or(|(w, _)| g > *w) {
                        worst = Some((g, format!("{} / {measure}", family.name)));
                    }
                    format!("{g:.2}×{}", if g > TARGET_GROWTH { " (over target)" } else { "" })
                }
                _ => "-".into(),
            };
            let (g1, g2) = (growth(times[0], times[1]), growth(times[1], times[2]));
            out += &format!(
                "| {} | {measure} | {} | {} | {} | {g1} | {g2} |\n",
                family.name,
                cell(times[0]),
                cell(times[1]),
                cell(times[2])
            );
        }
    }
    if let Some((g, which)) = worst {
        out += &format!("\nWorst growth per doubling: {g:.2}× ({which}); target ≤ {TARGET_GROWTH}×.\n");
    }
    out += "\n| family | at 4N: outcome | notifications | their bytes on the wire |\n|---|---|---|---|\n";
    for (f, effect) in effects {
        if let Some(e) = effect.last() {
            out += &format!(
                "| {} | {} | {} | {} |\n",
                FAMILIES[*f].name, e.outcome, e.notifications, e.notification_bytes
            );
        }
    }
    out
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"))
}

/// Writes one mail per family, each just under `bytes`, into `dir`.
fn write_mails(dir: &Path, bytes: usize) {
    std::fs::create_dir_all(dir).expect("output folder");
    for family in FAMILIES {
        let mut mail = families::at_total_size(family, bytes);
        let at = marker(&mail);
        stamp(&mut mail, at, 1);
        let path = dir.join(format!("{}.eml", family.name.replace(' ', "-")));
        std::fs::write(&path, &mail).expect("mail written");
        println!("{} ({} bytes)", path.display(), mail.len());
    }
}

fn main() {
    if let Some(dir) = std::env::var_os("MAILGATE_HOSTILE_WRITE") {
        let bytes = std::env::var("MAILGATE_HOSTILE_BYTES").ok().and_then(|b| b.parse().ok()).unwrap_or(31_457_000);
        write_mails(Path::new(&dir), bytes);
        return;
    }
    let scale: f64 = std::env::var("MAILGATE_HOSTILE_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = config(dir.path());
    let mut c = Criterion::default().configure_from_args();
    let mut effects = BTreeMap::new();
    for (index, family) in FAMILIES.iter().enumerate() {
        effects.insert(index, bench_family(&mut c, &config, index, family, scale));
    }
    c.final_summary();
    let table = growth_table(&effects);
    println!("\n{table}");
    let path = target_dir().join("hostile-growth.txt");
    match std::fs::write(&path, &table) {
        Ok(()) => println!("written to {}", path.display()),
        Err(e) => eprintln!("cannot write {}: {e}", path.display()),
    }
}
