//! The staff pages' reads over a helpdesk of 10,000 tickets (a year of a
//! large académie): one technician's dashboard (counts for them, their
//! groups and everyone, 30 days of opened/solved, the oldest and the
//! unowned tickets) and filtered queues, each a page of 50. Criterion
//! measures each read alone; then 20 technicians read at once, each on
//! its own connection as the web server's would, and the p50/p99 of a
//! request (a dashboard, or a queue page) are printed: the issue asks
//! p99 ≤ 100 ms.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

use mailgate::clock::SystemClock;
use mailgate::store::{DashboardSizes, PageRequest, Queue, QueueOrder, Store, Synthetic, TicketFilter, last_days};

const TICKETS: u32 = 10_000;
const TECHNICIANS: usize = 20;
const REQUESTS_EACH: usize = 50;

fn helpdesk(dir: &std::path::Path) -> (std::path::PathBuf, Synthetic) {
    let path = dir.join("mailgate.db");
    let spec = Synthetic {
        tickets: TICKETS,
        days: 365,
        now: time::OffsetDateTime::now_utc(),
        technicians: (0..TECHNICIANS).map(|i| format!("tech{i}@ac-exemple.fr")).collect(),
        groups: (0..5).map(|i| format!("group-{i}")).collect(),
    };
    let mut store = Store::open(&path).expect("store");
    store.fill_synthetic(&spec).expect("fill");
    (path, spec)
}

fn groups_of(spec: &Synthetic, i: usize) -> Vec<String> {
    vec![spec.groups[i % spec.groups.len()].clone(), spec.groups[(i + 1) % spec.groups.len()].clone()]
}

/// One request of technician `i`: even ones a dashboard, odd ones a queue.
fn request(store: &Store, spec: &Synthetic, i: usize, n: usize) {
    let me = &spec.technicians[i];
    let groups = groups_of(spec, i);
    if n.is_multiple_of(2) {
        let days = last_days(&SystemClock, 30);
        store.dashboard(me, &groups, &days, DashboardSizes::default()).expect("dashboard");
    } else {
        let filter = TicketFilter { category: Some("Matériel".into()), ..Default::default() };
        let queue = [Queue::Mine(me), Queue::GroupsUnassigned(&groups), Queue::All][n / 2 % 3];
        store
            .queue(queue, &filter, QueueOrder::PriorityThenAge, PageRequest { page: 1 + (n % 3) as u32, size: 50 })
            .expect("queue");
    }
}

fn staff(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (path, spec) = helpdesk(dir.path());
    let store = Store::open(&path).expect("reader");
    let me = spec.technicians[3].clone();
    let groups = groups_of(&spec, 3);
    let days = last_days(&SystemClock, 30);
    let mut g = c.benchmark_group("staff_10k");
    g.sample_size(30);
    g.bench_function("dashboard", |b| {
        b.iter(|| store.dashboard(&me, &groups, &days, DashboardSizes::default()).expect("dashboard"))
    });
    let page = PageRequest::first(50);
    let open = TicketFilter::default();
    let by_category = TicketFilter { category: Some("Matériel".into()), ..Default::default() };
    let by_text = TicketFilter { text: Some("imprimante panne".into()), ..Default::default() };
    for (name, queue, filter) in [
        ("queue_all_open", Queue::All, &open),
        ("queue_all_category", Queue::All, &by_category),
        ("queue_all_text", Queue::All, &by_text),
        ("queue_mine", Queue::Mine(&me), &open),
        ("queue_groups_unassigned", Queue::GroupsUnassigned(&groups), &open),
        ("queue_unowned", Queue::Unowned, &open),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| store.queue(queue, filter, QueueOrder::PriorityThenAge, page).expect("queue"))
        });
    }
    g.finish();
    concurrent(&path, &spec);
}

/// 20 technicians at once, each on its own connection.
fn concurrent(path: &std::path::Path, spec: &Synthetic) {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..TECHNICIANS)
            .map(|i| {
                s.spawn(move || {
                    let store = Store::open(path).expect("reader");
                    (0..REQUESTS_EACH)
                        .map(|n| {
                            let t = Instant::now();
                            request(&store, spec, i, n);
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    let wall = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    println!(
        "staff_10k/concurrent: {TECHNICIANS} technicians × {REQUESTS_EACH} requests (dashboard or filtered queue page) \
         in {wall:.2?}: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

criterion_group!(benches, staff);
criterion_main!(benches);
