//! The daily digest in the store: the open tickets with their technicians
//! and groups, read in one go, and the day's digests written to the outbox
//! in one transaction with the day's record (`digest_runs`, `digests`). The
//! record is what makes the digest go out once a day whatever restarts
//! happen; who gets what is decided in `notify::digest`, pure.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::{Store, StoreError, tickets};
use crate::notify::Notifier;
use crate::notify::digest::{self, OpenTicket};
use crate::ticket::TicketId;

/// One digest queued: to whom, listing which tickets, in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDigest {
    pub recipient: String,
    pub tickets: Vec<TicketId>,
}

/// A ticket is open until it is solved, closed or cancelled.
const OPEN: &str = "status NOT IN ('solved', 'closed', 'cancelled')";

impl Store {
    /// Queues the digests of the local day of `local_now`, unless that day's
    /// were queued already; returns those queued (none when nobody has an
    /// open ticket). The day counts as done either way: a ticket assigned
    /// later in the day waits for the next digest.
    pub fn queue_digests(
        &mut self,
        local_now: OffsetDateTime,
        notifier: &Notifier,
    ) -> Result<Vec<QueuedDigest>, StoreError> {
        let day = digest::day_of(local_now);
        // The common case, every minute after the time: a read, no lock.
        if digest_queued(&self.conn, &day)? {
            return Ok(Vec::new());
        }
        // A batch of mails left open by group commit is committed first: a
        // transaction cannot start inside it.
        self.end_batch(true)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another writer (a `run --once` beside the daemon) may have been first.
        if digest_queued(&tx, &day)? {
            return Ok(Vec::new());
        }
        let open = open_tickets(&tx)?;
        let digests = digest::select(notifier.staff(), &open);
        let at = crate::clock::rfc3339(local_now);
        tx.prepare_cached("INSERT INTO digest_runs (day, queued_at, digests) VALUES (?1, ?2, ?3)")?
            .execute(params![day, at, i64::try_from(digests.len()).unwrap_or(i64::MAX)])?;
        let mut queued = Vec::with_capacity(digests.len());
        for d in &digests {
            let n = notifier.digest(d, local_now);
            super::outbox::insert(&tx, &n, &at)?;
            tx.prepare_cached("INSERT INTO digests (day, recipient, tickets) VALUES (?1, ?2, ?3)")?
                .execute(params![day, n.recipient, i64::try_from(d.lines.len()).unwrap_or(i64::MAX)])?;
            queued
                .push(QueuedDigest { recipient: n.recipient, tickets: d.lines.iter().map(|l| l.ticket.id).collect() });
        }
        tx.commit()?;
        Ok(queued)
    }
}

/// `(ticket, name)` rows of a query over the open tickets' people or groups.
fn names_by_ticket(conn: &Connection, sql: &str) -> Result<Vec<(TicketId, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, TicketId>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn digest_queued(conn: &Connection, day: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM digest_runs WHERE day = ?1")?
        .query_row([day], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every open ticket with its technicians and the groups in charge.
fn open_tickets(conn: &Connection) -> Result<Vec<OpenTicket>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, title, status, priority, entity, created_at, updated_at FROM tickets WHERE {OPEN} ORDER BY id"
    ))?;
    let mut open: Vec<OpenTicket> = stmt
        .query_map([], |r| {
            Ok(OpenTicket {
                id: r.get(0)?,
                title: r.get(1)?,
                status: tickets::status_of(r.get(2)?)?,
                priority: r.get(3)?,
                entity: r.get(4)?,
                created_at: r.get(5)?,
                updated_at: r.get(6)?,
                technicians: Vec::new(),
                assigned_groups: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let index: HashMap<TicketId, usize> = open.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let technicians = names_by_ticket(
        conn,
        &format!(
            "SELECT a.ticket_id, a.email FROM actors a JOIN tickets t ON t.id = a.ticket_id
             WHERE a.role = 'technician' AND t.{OPEN} ORDER BY a.rowid"
        ),
    )?;
    let groups = names_by_ticket(
        conn,
        &format!(
            "SELECT g.ticket_id, g.group_name FROM ticket_groups g JOIN tickets t ON t.id = g.ticket_id
             WHERE g.role = 'assigned' AND t.{OPEN} ORDER BY g.rowid"
        ),
    )?;
    for (ticket, email) in technicians {
        if let Some(&i) = index.get(&ticket) {
            open[i].technicians.push(email);
        }
    }
    for (ticket, name) in groups {
        if let Some(&i) = index.get(&ticket) {
            open[i].assigned_groups.push(name);
        }
    }
    Ok(open)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use time::macros::datetime;

    use super::*;
    use crate::config::Config;

    const EXAMPLE: &str = include_str!("../../config.example.toml");

    fn notifier() -> Notifier {
        let config = Config::from_toml(EXAMPLE, Path::new("/etc/mailgate/m.toml"), Path::new("/etc/mailgate"));
        Notifier::new(&config.expect("example")).expect("notifier")
    }

    /// Ticket `id` in `status`, with a technician or a group in charge.
    fn ticket(store: &Store, id: TicketId, status: &str, technician: Option<&str>, group: Option<&str>) {
        let conn = &store.conn;
        conn.execute(
            "INSERT INTO tickets (id, title, description, status, entity, requester, created_at, updated_at)
             VALUES (?1, 'Imprimante', '', ?2, 'Académie', 'marie@ac-exemple.fr', ?3, ?3)",
            params![id, status, "2026-03-01T08:00:00Z"],
        )
        .expect("ticket");
        if let Some(email) = technician {
            conn.execute(
                "INSERT INTO actors (ticket_id, role, email) VALUES (?1, 'technician', ?2)",
                params![id, email],
            )
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
        for (id, status) in [(1, "new"), (2, "assigned"), (3, "planned"), (4, "pending"), (5, "solved"), (6, "closed")]
        {
            ticket(&store, id, status, Some(alice), None);
        }
        ticket(&store, 7, "cancelled", Some(alice), None);
        let queued = store.queue_digests(datetime!(2026-03-02 07:30 UTC), &notifier()).expect("queued");
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
        assert_eq!(summary(&store.queue_digests(morning, &notifier).expect("first")), expected);
        let rows = store.list_outbox(None).expect("outbox");
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.ticket_id.is_none() && r.event == "daily_digest"), "{rows:?}");
        let recorded: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM digests WHERE day = '2026-03-02'", [], |r| r.get(0))
            .expect("count");
        assert_eq!(recorded, 3);

        let later = datetime!(2026-03-02 16:00 UTC);
        assert!(store.queue_digests(later, &notifier).expect("again").is_empty(), "once a day");
        assert_eq!(store.list_outbox(None).expect("outbox").len(), 3);

        let tomorrow = datetime!(2026-03-03 07:30 UTC);
        assert_eq!(summary(&store.queue_digests(tomorrow, &notifier).expect("next day")), expected);
    }

    #[test]
    fn a_day_with_nothing_open_counts_as_done() {
        let mut store = Store::open_in_memory().expect("store");
        let notifier = notifier();
        assert!(store.queue_digests(datetime!(2026-03-02 07:30 UTC), &notifier).expect("empty").is_empty());
        ticket(&store, 1, "assigned", Some("alice.martin@ac-exemple.fr"), None);
        assert!(
            store.queue_digests(datetime!(2026-03-02 10:00 UTC), &notifier).expect("later").is_empty(),
            "a ticket assigned after the day's digest waits for the next one"
        );
    }
}
