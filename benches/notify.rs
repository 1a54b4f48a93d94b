//! What one notification costs as the mail it quotes grows: composing it
//! (templates, with the quoted text cut to an excerpt) and building the
//! mail that goes on the wire (lettre, bodies handed over in CRLF). Sizes
//! are 1, 2 and 4 MiB of ten-byte lines, the shape that made building
//! quadratic (38 s for 1 MiB when lettre converted line endings itself):
//! each doubling should cost at most about twice as much. Building is
//! measured on a row holding the whole text, as an outbox row queued before
//! the excerpt existed would.

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use mailgate::config::Config;
use mailgate::mail::Mailbox;
use mailgate::notify::transport::build_message;
use mailgate::notify::{Notifier, Person, TicketContext, Trigger};
use mailgate::store::{OutboxRow, OutboxState};
use mailgate::ticket::{Event, Role, Status, TicketType};

const CONFIG: &str = include_str!("../config.example.toml");
const SIZES_MIB: [usize; 3] = [1, 2, 4];

fn short_lines(mib: usize) -> String {
    "une ligne\n".repeat(mib * (1 << 20) / 10)
}

fn ticket(description: String) -> TicketContext {
    let marie = Person { email: "marie.dupont@ac-exemple.fr".into(), name: Some("Marie Dupont".into()) };
    TicketContext {
        id: 1,
        title: "Journal".into(),
        description,
        status: Status::New,
        entity: "Académie".into(),
        requester: marie,
        observers: Vec::new(),
        technicians: Vec::new(),
        assigned_groups: Vec::new(),
        observer_groups: Vec::new(),
        ticket_type: TicketType::Incident,
        category: None,
        urgency: 3,
        impact: 3,
        priority: 3,
        location: None,
        created_at: "2026-01-01T00:00:00Z".into(),
        origin_message_id: Some("r1@ac-exemple.fr".into()),
    }
}

fn row(text: String) -> OutboxRow {
    OutboxRow {
        id: 1,
        ticket_id: Some(1),
        event: "ticket_new".into(),
        recipient: "marie.dupont@ac-exemple.fr".into(),
        subject: "[GLPI #0000001] Académie | Nouveau – Journal".into(),
        state: OutboxState::Sending,
        attempts: 1,
        last_error: None,
        created_at: "2026-01-01T00:00:00Z".into(),
        sent_at: None,
        delivered_to: None,
        body_text: text,
        message_id: "mailgate.1.ticket_new.abc@ac-exemple.fr".into(),
        in_reply_to: Some("r1@ac-exemple.fr".into()),
        references: vec!["r1@ac-exemple.fr".into(), "mailgate.1@ac-exemple.fr".into()],
        released: false,
        lease_until: None,
        personal_link: false,
    }
}

fn notify(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = Arc::new(Config::from_toml(CONFIG, &dir.path().join("m.toml"), dir.path()).expect("config"));
    let notifier = Notifier::new(&config).expect("templates");
    let from: lettre::message::Mailbox = "Support <support-informatique@ac-exemple.fr>".parse().expect("from");
    let trigger =
        Trigger::new(Mailbox::new("marie.dupont@ac-exemple.fr", None), Role::Requester, "r1@ac-exemple.fr".into());

    let mut group = c.benchmark_group("notify");
    group.sample_size(10);
    for mib in SIZES_MIB {
        let text = short_lines(mib);
        group.throughput(Throughput::Bytes(text.len() as u64));
        let ticket = ticket(text.clone());
        group.bench_with_input(BenchmarkId::new("compose", format!("{mib} MiB")), &ticket, |b, ticket| {
            b.iter(|| notifier.notifications(Event::TicketNew, ticket, &trigger, "2026-01-01T00:00:00Z"))
        });
        let row = row(text);
        let html = notifier.html(&row);
        group.bench_with_input(BenchmarkId::new("build", format!("{mib} MiB")), &row, |b, row| {
            b.iter(|| build_message(row, html.clone(), &from).expect("built").formatted())
        });
    }
    group.finish();
}

criterion_group!(benches, notify);
criterion_main!(benches);
