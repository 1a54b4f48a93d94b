//! The daily digest in the store: the open tickets with their technicians
//! and groups, read in one go, and the day's record (`digest_runs`,
//! `digests`) written in the transaction that queues the digests. The record
//! is what makes the digest go out once a day whatever restarts happen; who
//! gets what is decided in `notify::digest`, pure, and orchestrated by
//! [`crate::desk`].

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError, Tx, tickets};
use crate::news::OpenTicket;
use crate::ticket::TicketId;

/// A ticket is open until it is solved, closed or cancelled.
const OPEN: &str = "status NOT IN ('solved', 'closed', 'cancelled')";

impl Store {
    /// Whether the digests of `day` (YYYY-MM-DD) were queued: a read, no lock.
    pub fn digest_queued(&self, day: &str) -> Result<bool, StoreError> {
        digest_queued(&self.conn, day)
    }
}

impl Tx<'_> {
    /// Whether the digests of `day` were queued, read inside the transaction.
    pub fn digest_queued(&self, day: &str) -> Result<bool, StoreError> {
        digest_queued(self.conn, day)
    }

    /// Every open ticket with its technicians and the groups in charge.
    pub fn open_tickets(&self) -> Result<Vec<OpenTicket>, StoreError> {
        open_tickets(self.conn)
    }

    /// The day's record: its digests were queued at `at`, `count` of them.
    pub fn record_digest_run(&self, day: &str, at: &str, count: usize) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT INTO digest_runs (day, queued_at, digests) VALUES (?1, ?2, ?3)")?
            .execute(params![day, at, i64::try_from(count).unwrap_or(i64::MAX)])?;
        Ok(())
    }

    /// One digest of the day: to `recipient`, listing `tickets` tickets.
    pub fn record_digest(&self, day: &str, recipient: &str, tickets: usize) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT INTO digests (day, recipient, tickets) VALUES (?1, ?2, ?3)")?
            .execute(params![day, recipient, i64::try_from(tickets).unwrap_or(i64::MAX)])?;
        Ok(())
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
