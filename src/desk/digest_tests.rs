//! The daily digest through the store: once a day, with its record.

use std::path::Path;

use time::macros::datetime;

use rusqlite::params;

use super::*;
use crate::config::Config;

const EXAMPLE: &str = include_str!("../../config.example.toml");

fn notifier() -> Notifier {
    let config = Config::from_toml(EXAMPLE, Path::new("/etc/mailgate/m.toml"), Path::new("/etc/mailgate"));
    Notifier::new(&config.expect("example")).expect("notifier")
}

/// Ticket `id` in `status`, with a technician or a group in charge.
fn ticket(store: &Store, id: TicketId, status: &str, technician: Option<&str>, group: Option<&str>) {
    let conn = store.connection();
    conn.execute(
        "INSERT INTO tickets (id, title, description, status, entity, requester, created_at, updated_at)
         VALUES (?1, 'Imprimante', '', ?2, 'Académie', 'marie@ac-exemple.fr', ?3, ?3)",
        params![id, status, "2026-03-01T08:00:00Z"],
    )
    .expect("ticket");
    if let Some(email) = technician {
        conn.execute("INSERT INTO actors (ticket_id, role, email) VALUES (?1, 'technician', ?2)", params![id, email])
            .expect("technician");
    }
    if let Some(name) = group {
        conn.execute(
            "INSERT INTO ticket_groups (ticket_id, role, group_name) VALUES (?1, 'assigned', ?2)",
            params![id, name],
        )
        .expect("group");
    }
}

fn summary(queued: &[QueuedDigest]) -> Vec<String> {
    queued.iter().map(|d| format!("{} {:?}", d.recipient, d.tickets)).collect()
}

#[test]
fn solved_closed_and_cancelled_tickets_are_in_no_digest() {
    let mut store = Store::open_in_memory().expect("store");
    let alice = "alice.martin@ac-exemple.fr";
    for (id, status) in [(1, "new"), (2, "assigned"), (3, "planned"), (4, "pending"), (5, "solved"), (6, "closed")] {
        ticket(&store, id, status, Some(alice), None);
    }
    ticket(&store, 7, "cancelled", Some(alice), None);
    let queued = queue_digests(&mut store, datetime!(2026-03-02 07:30 UTC), &notifier()).expect("queued");
    assert_eq!(summary(&queued), [format!("{alice} [1, 2, 3, 4]")]);
}

#[test]
fn a_days_digest_is_queued_once_with_its_record_and_the_next_day_again() {
    let mut store = Store::open_in_memory().expect("store");
    let notifier = notifier();
    ticket(&store, 1, "assigned", None, Some("referents-lsu"));
    ticket(&store, 2, "assigned", Some("karim.benali@ac-exemple.fr"), Some("dsi-reseau"));
    let morning = datetime!(2026-03-02 07:30 UTC);
    let expected = [
        "claire.petit@ac-exemple.fr [1]".to_string(),
        "julien.moreau@ac-exemple.fr [1]".into(),
        "karim.benali@ac-exemple.fr [2]".into(),
    ];
    assert_eq!(summary(&queue_digests(&mut store, morning, &notifier).expect("first")), expected);
    let rows = store.list_outbox(None).expect("outbox");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.ticket_id.is_none() && r.event == "daily_digest"), "{rows:?}");
    let recorded: i64 = store
        .connection()
        .query_row("SELECT COUNT(*) FROM digests WHERE day = '2026-03-02'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(recorded, 3);

    let later = datetime!(2026-03-02 16:00 UTC);
    assert!(queue_digests(&mut store, later, &notifier).expect("again").is_empty(), "once a day");
    assert_eq!(store.list_outbox(None).expect("outbox").len(), 3);

    let tomorrow = datetime!(2026-03-03 07:30 UTC);
    assert_eq!(summary(&queue_digests(&mut store, tomorrow, &notifier).expect("next day")), expected);
}

#[test]
fn a_day_with_nothing_open_counts_as_done() {
    let mut store = Store::open_in_memory().expect("store");
    let notifier = notifier();
    assert!(queue_digests(&mut store, datetime!(2026-03-02 07:30 UTC), &notifier).expect("empty").is_empty());
    ticket(&store, 1, "assigned", Some("alice.martin@ac-exemple.fr"), None);
    assert!(
        queue_digests(&mut store, datetime!(2026-03-02 10:00 UTC), &notifier).expect("later").is_empty(),
        "a ticket assigned after the day's digest waits for the next one"
    );
}
