//! Tickets, their actors, followups, attachments and history: the writes a
//! [`super::Tx`] is made of. The reads behind `tickets
//! list` and `tickets show` are in [`super::ticket_queries`].

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::mail::Mailbox;
use crate::news::{Person, TicketContext};
use crate::ticket::{Door, Role, Status, TicketId, TicketType};

/// Where `TicketFilter` was first published; `store::TicketFilter` is the path to use.
pub use super::ticket_queries::TicketFilter;

pub(super) fn add_actor(conn: &Connection, ticket: TicketId, role: Role, who: &Mailbox) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO actors (ticket_id, role, email, name) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(ticket_id, role, email) DO UPDATE SET name = COALESCE(excluded.name, actors.name)",
    )?
    .execute(params![ticket, role.as_str(), who.address, who.name])?;
    Ok(())
}

pub(super) fn history(
    conn: &Connection,
    door: Door,
    ticket: TicketId,
    at: &str,
    actor: &str,
    action: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_history (ticket_id, at, actor, action, detail, door) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![ticket, at, actor, action, detail, door.as_str()])?;
    Ok(())
}

pub(super) fn set_status(
    conn: &Connection,
    door: Door,
    ticket: TicketId,
    status: Status,
    actor: &str,
    at: &str,
) -> Result<(), StoreError> {
    let old: String =
        conn.prepare_cached("SELECT status FROM tickets WHERE id = ?1")?.query_row([ticket], |r| r.get(0))?;
    if old != status.as_str() {
        // solved_at starts the approval delay; closed_at is cleared when a
        // closed ticket is re-opened.
        conn.prepare_cached(
            "UPDATE tickets SET status = ?1, updated_at = ?2,
                    solved_at = CASE WHEN ?1 = 'solved' THEN ?2 ELSE solved_at END,
                    closed_at = CASE WHEN ?1 IN ('closed', 'cancelled') THEN ?2 ELSE NULL END
             WHERE id = ?3",
        )?
        .execute(params![status.as_str(), at, ticket])?;
        history(conn, door, ticket, at, actor, "status", &format!("{old} -> {status}"))?;
    }
    Ok(())
}

pub(super) fn status_of(s: String) -> rusqlite::Result<Status> {
    Status::parse(&s)
        .ok_or_else(|| rusqlite::Error::InvalidColumnType(0, format!("status {s}"), rusqlite::types::Type::Text))
}

pub(super) fn role_of(s: String) -> rusqlite::Result<Role> {
    Role::parse(&s)
        .ok_or_else(|| rusqlite::Error::InvalidColumnType(0, format!("role {s}"), rusqlite::types::Type::Text))
}

pub(super) fn actors(conn: &Connection, ticket: TicketId, role: Role) -> rusqlite::Result<Vec<Person>> {
    let mut stmt =
        conn.prepare_cached("SELECT email, name FROM actors WHERE ticket_id = ?1 AND role = ?2 ORDER BY rowid")?;
    let rows = stmt.query_map(params![ticket, role.as_str()], |r| Ok(Person { email: r.get(0)?, name: r.get(1)? }))?;
    rows.collect()
}

/// The ticket as notifications describe it, read inside the transaction.
pub(super) fn context(conn: &Connection, ticket: TicketId) -> Result<TicketContext, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT title, description, status, entity, requester, created_at, type, category, urgency, impact,
                    priority, location
             FROM tickets WHERE id = ?1",
        )?
        .query_row([ticket], |r| {
            Ok(Head {
                title: r.get(0)?,
                description: r.get(1)?,
                status: r.get(2)?,
                entity: r.get(3)?,
                requester: r.get(4)?,
                created_at: r.get(5)?,
                ticket_type: r.get(6)?,
                category: r.get(7)?,
                urgency: r.get(8)?,
                impact: r.get(9)?,
                priority: r.get(10)?,
                location: r.get(11)?,
            })
        })?;
    let Head { title, description, status, entity, requester, created_at, .. } = row.clone();
    let requester =
        actors(conn, ticket, Role::Requester)?.into_iter().next().unwrap_or(Person { email: requester, name: None });
    let origin_message_id: Option<String> = conn
        .prepare_cached(
            "SELECT message_id FROM messages WHERE ticket_id = ?1 AND outcome = 'ticket_created' ORDER BY id LIMIT 1",
        )?
        .query_row([ticket], |r| r.get(0))
        .optional()?;
    Ok(TicketContext {
        id: ticket,
        title,
        description,
        status: status_of(status)?,
        entity,
        requester,
        observers: actors(conn, ticket, Role::Observer)?,
        technicians: actors(conn, ticket, Role::Technician)?,
        assigned_groups: groups(conn, ticket, "assigned")?,
        observer_groups: groups(conn, ticket, "observer")?,
        ticket_type: TicketType::parse(&row.ticket_type).unwrap_or(TicketType::Incident),
        category: row.category,
        urgency: row.urgency,
        impact: row.impact,
        priority: row.priority,
        location: row.location,
        created_at,
        origin_message_id,
    })
}

/// The columns of a ticket that notifications show.
#[derive(Clone)]
struct Head {
    title: String,
    description: String,
    status: String,
    entity: String,
    requester: String,
    created_at: String,
    ticket_type: String,
    category: Option<String>,
    urgency: u8,
    impact: u8,
    priority: u8,
    location: Option<String>,
}

/// The names of a ticket's groups in `role` ('assigned' or 'observer').
pub(super) fn groups(conn: &Connection, ticket: TicketId, role: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT group_name FROM ticket_groups WHERE ticket_id = ?1 AND role = ?2 ORDER BY rowid")?;
    let rows = stmt.query_map(params![ticket, role], |r| r.get(0))?;
    rows.collect()
}

impl Store {
    /// Sets a ticket's status by hand (operator command, life-cycle timer).
    pub fn set_status(&mut self, id: TicketId, status: Status, actor: &str, at: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let exists: Option<i64> =
            tx.query_row("SELECT id FROM tickets WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("no ticket #{id}")));
        }
        set_status(&tx, Door::Cli, id, status, actor, at)?;
        tx.commit()?;
        Ok(())
    }

    /// A stored attachment's bytes, by content address.
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(super::blobs::get(&self.conn, sha256)?.flatten())
    }
}

impl Store {
    /// Makes the next ticket number at least `first` (`tickets.first_number`):
    /// SQLite's AUTOINCREMENT counter for tickets is raised to `first - 1`,
    /// never lowered, so numbers already issued (or a higher start set
    /// before) are kept and no number is ever issued twice.
    pub fn ensure_first_number(&mut self, first: i64) -> Result<(), StoreError> {
        let floor = first.saturating_sub(1);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: Option<i64> =
            tx.query_row("SELECT seq FROM sqlite_sequence WHERE name = 'tickets'", [], |r| r.get(0)).optional()?;
        let highest: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) FROM tickets", [], |r| r.get(0))?;
        let seq = floor.max(highest).max(current.unwrap_or(0));
        if current.is_none() {
            tx.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets', ?1)", [seq])?;
        } else if current != Some(seq) {
            tx.execute("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'tickets'", [seq])?;
        }
        tx.commit()?;
        Ok(())
    }
}
