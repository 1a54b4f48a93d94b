//! The pages' speed under load (issues 15 and 16), run by `bench/web`.
//!
//! `requester`: a real install served by `mailgate run` (the release
//! build), one ticket given 200 followups by mail through the pipeline, and
//! 50 clients asking its page with the requester's personal link (signed
//! with the install's key). Then 5,000 new requests are dropped into the
//! Maildir, once with no web load and once with the 50 clients asking all
//! the time, and the intake rate (mails recorded per second, from the
//! store's count) of both is printed beside the pages' latencies during
//! the ingestion. Issue 15 asks p99 ≤ 50 ms and intake slowed by < 10 %.
//!
//! `staff`: 10,000 synthetic tickets and 20 technicians reading at once,
//! through the web's read pool ([`mailgate::web::reads::Reads`]), the reads
//! the staff pages make: a dashboard, or a page of a filtered queue.
//! Issue 16 asks p99 ≤ 100 ms. Once the staff pages exist, their URLs go
//! in a closure given to [`load::http`], as the requester's page's do.
//!
//! Sizes can be changed by environment: MAILGATE_BENCH_CLIENTS,
//! MAILGATE_BENCH_REQUESTS (each), MAILGATE_BENCH_MAILS, MAILGATE_BENCH_ROUNDS.

#[path = "web_load/load.rs"]
mod load;
#[path = "web_load/site.rs"]
mod site;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use load::{Request, Until};
use mailgate::clock::SystemClock;
use mailgate::store::{
    DashboardSizes, PageRequest, Queue, QueueOrder, Scope, Store, Synthetic, TicketFilter, last_days,
};
use mailgate::web::reads::Reads;
use site::{Site, mail, progress};

const REQUESTER: &str = "secretariat@clg-moulin.ac-exemple.fr";
const TECHNICIAN: &str = "alice.martin@ac-exemple.fr";
const TITLE: &str = "Imprimante du secrétariat en panne";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Ticket 1, opened by REQUESTER, then 200 followups by mail: the
/// requester's and the technician's answers in turn, a few lines each.
fn ticket_with_followups(site: &Site, followups: usize) {
    site.deliver(
        "open",
        &[mail(
            &format!("From: {REQUESTER}\nSubject: {TITLE}\nMessage-ID: <open@clg-moulin.ac-exemple.fr>"),
            "Bonjour,\nl'imprimante affiche « erreur 49 » depuis ce matin.\nMerci.",
        )],
    );
    site.run_once();
    let replies: Vec<Vec<u8>> = (0..followups)
        .map(|i| {
            let from = if i % 2 == 0 { REQUESTER } else { TECHNICIAN };
            mail(
                &format!("From: {from}\nSubject: Re: [GLPI #0000001] {TITLE}\nMessage-ID: <f-{i}@ac-exemple.fr>"),
                &format!(
                    "Bonjour,\nmessage {i} : l'imprimante a été redémarrée, le bac 2 est vide,\n\
                     le toner a été changé et la file d'impression vidée. À suivre.\nCordialement."
                ),
            )
        })
        .collect();
    site.deliver("followup", &replies);
    site.run_once();
    let store = Store::open_read_only(&site.database()).expect("a reader");
    let ticket = store.public_ticket(1).expect("read").expect("ticket 1");
    let shown = ticket.timeline.iter().filter(|e| matches!(e, mailgate::store::PublicEntry::Followup { .. })).count();
    assert!(shown >= followups, "ticket 1 shows {shown} followups, expected {followups}");
}

/// `n` new requests from 500 colleagues, a short paragraph each.
fn requests(round: usize, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            mail(
                &format!(
                    "From: user{}@clg-{}.ac-exemple.fr\nSubject: Demande {round}-{i} : poste en panne\nMessage-ID: <r{round}-{i}@ac-exemple.fr>",
                    i % 500,
                    i % 40
                ),
                &format!("Bonjour,\nle poste {i} de la salle {} ne démarre plus.\nMerci d'avance.", i % 30),
            )
        })
        .collect()
}

/// Drops `n` mails into the Maildir and waits until all are recorded; the
/// rate is taken from the first recorded mail to the last, so that the
/// source's poll interval does not count.
fn ingest(site: &Site, round: usize, n: usize) -> f64 {
    let database = site.database();
    let (before, _) = progress(&database);
    let target = before + n as i64;
    site.deliver(&format!("r{round}"), &requests(round, n));
    let mut first: Option<(Instant, i64)> = None;
    load::wait_for("the mails to be recorded", Duration::from_secs(600), || {
        let (now, _) = progress(&database);
        if first.is_none() && now > before {
            first = Some((Instant::now(), now));
        }
        now >= target
    });
    let (t0, c0) = first.expect("a first count");
    let span = t0.elapsed().as_secs_f64();
    if c0 >= target || span <= 0.0 { f64::NAN } else { (target - c0) as f64 / span }
}

/// The notifications of the last ingestion are written before the next
/// one starts, so that each ingestion competes with the same work.
fn settle(site: &Site) {
    let database = site.database();
    load::wait_for("the outbox to drain", Duration::from_secs(900), || progress(&database).1 == 0);
}

fn requester() {
    let clients = setting("MAILGATE_BENCH_CLIENTS", 50);
    let each = setting("MAILGATE_BENCH_REQUESTS", 40);
    let mails = setting("MAILGATE_BENCH_MAILS", 5_000);
    let rounds = setting("MAILGATE_BENCH_ROUNDS", 1);
    let mut site = Site::new();
    ticket_with_followups(&site, 200);
    site.start();
    let link = site.link(1, REQUESTER);
    let page = |_: usize, _: usize| Request::get(link.clone());
    println!("requester page, ticket of 200 followups, load average {}", load_average());
    load::http(site.port, 4, Until::Requests(10), &page);
    for run in 1..=2 {
        let quiet = load::http(site.port, clients, Until::Requests(each), &page);
        println!("  {}", quiet.line(&format!("{clients} clients, no intake, run {run}")));
    }
    settle(&site);
    for round in 0..rounds {
        let alone = ingest(&site, 2 * round, mails);
        settle(&site);
        let done = AtomicBool::new(false);
        let (busy, loaded) = std::thread::scope(|s| {
            let web = s.spawn(|| load::http(site.port, clients, Until::Flag(&done), &page));
            let rate = ingest(&site, 2 * round + 1, mails);
            done.store(true, Ordering::Relaxed);
            (web.join().expect("the clients"), rate)
        });
        settle(&site);
        println!(
            "  round {}: intake of {mails} mails {alone:.0} mails/s alone, {loaded:.0} mails/s under web load ({:+.1} %); load average {}",
            round + 1,
            100.0 * (loaded - alone) / alone,
            load_average()
        );
        println!("  {}", busy.line(&format!("{clients} clients during the ingestion")));
    }
}

fn staff() {
    let technicians = setting("MAILGATE_BENCH_CLIENTS", 20);
    let each = setting("MAILGATE_BENCH_REQUESTS", 50);
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("mailgate.db");
    let spec = Arc::new(Synthetic {
        tickets: 10_000,
        days: 365,
        now: time::OffsetDateTime::now_utc(),
        technicians: (0..20).map(|i| format!("tech{i}@ac-exemple.fr")).collect(),
        groups: (0..5).map(|i| format!("group-{i}")).collect(),
    });
    Store::open(&path).expect("store").fill_synthetic(&spec).expect("fill");
    breakdown(&path, &spec);
    // A runtime like the daemon's: one worker per core, the blocking pool.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let reads = Arc::new(Reads::new(path));
    println!("staff reads over 10,000 tickets through the web's read pool, load average {}", load_average());
    for (name, kind) in [("dashboards", 0), ("filtered queues", 1), ("dashboards and queues", 2)] {
        for run in 1..=2 {
            let (reads, spec) = (reads.clone(), spec.clone());
            let figures = load::in_process(&rt, technicians, each, move |t, n| {
                let (reads, spec) = (reads.clone(), spec.clone());
                async move { staff_read(&reads, &spec, t, n, kind).await }
            });
            println!("  {}", figures.line(&format!("{technicians} technicians, {name}, run {run}")));
        }
    }
}

/// What one dashboard costs, part by part, alone on one connection.
fn breakdown(path: &std::path::Path, spec: &Synthetic) {
    let store = Store::open_read_only(path).expect("a reader");
    let me = spec.technicians[3].as_str();
    let groups = vec![spec.groups[3].clone(), spec.groups[4].clone()];
    let days = last_days(&SystemClock, 30);
    let open = TicketFilter::default();
    type Part<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let mut parts: Vec<Part<'_>> = vec![
        (
            "whole dashboard",
            Box::new(|| drop(store.dashboard(me, &groups, &days, DashboardSizes::default()).expect("read"))),
        ),
        ("counts, everyone", Box::new(|| drop(store.status_counts(Scope::Everyone).expect("read")))),
        ("counts, mine", Box::new(|| drop(store.status_counts(Scope::Technician(me)).expect("read")))),
        ("counts, my groups", Box::new(|| drop(store.status_counts(Scope::Groups(&groups)).expect("read")))),
        ("30 days of flow", Box::new(|| drop(store.daily_flow(&days).expect("read")))),
    ];
    parts.push((
        "oldest open",
        Box::new(|| drop(store.queue(Queue::All, &open, QueueOrder::Oldest, PageRequest::first(10)).expect("read"))),
    ));
    parts.push((
        "unowned",
        Box::new(|| {
            drop(store.queue(Queue::Unowned, &open, QueueOrder::PriorityThenAge, PageRequest::first(10)).expect("read"))
        }),
    ));
    let line: Vec<String> = parts
        .iter()
        .map(|(name, read)| {
            read();
            let t = Instant::now();
            for _ in 0..20 {
                read();
            }
            format!("{name} {:.2?}", t.elapsed() / 20)
        })
        .collect();
    println!("  one dashboard alone: {}", line.join(", "));
}

/// Technician `t`'s `n`th read: a dashboard (kind 0), a page of a queue
/// filtered by category (kind 1), or each in turn (kind 2).
async fn staff_read(reads: &Arc<Reads>, spec: &Synthetic, t: usize, n: usize, kind: usize) {
    let me = spec.technicians[t % spec.technicians.len()].clone();
    let groups = vec![spec.groups[t % 5].clone(), spec.groups[(t + 1) % 5].clone()];
    let dashboard = kind == 0 || (kind == 2 && n.is_multiple_of(2));
    if dashboard {
        let days = last_days(&SystemClock, 30);
        let d =
            reads.with(move |s| s.dashboard(&me, &groups, &days, DashboardSizes::default())).await.expect("dashboard");
        assert_eq!(d.everyone.0.iter().map(|(_, n)| n).sum::<i64>(), i64::from(spec.tickets));
    } else {
        let filter = TicketFilter { category: Some("Matériel".into()), ..Default::default() };
        let page = PageRequest { page: 1 + (n % 3) as u32, size: 50 };
        reads
            .with(move |s| {
                let queue = [Queue::Mine(&me), Queue::GroupsUnassigned(&groups), Queue::All][n / 2 % 3];
                s.queue(queue, &filter, QueueOrder::PriorityThenAge, page)
            })
            .await
            .expect("queue");
    }
}

fn main() {
    // `cargo test --benches` runs bench targets without --bench: nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wants = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wants("staff") {
        staff();
    }
    if wants("requester") {
        requester();
    }
}
