//! The store seen through [`View`], the read-only window `intake::decide`
//! looks through. A failed read answers "unknown": the decision then opens a
//! ticket rather than losing the mail, and the write that follows surfaces a
//! persistent database fault.

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use crate::intake::View;
use crate::lifecycle::TicketFacts;
use crate::ticket::{Status, TicketId};

impl View for Store {
    fn ticket(&self, id: TicketId) -> Option<TicketFacts> {
        facts(&self.conn, id).ok().flatten()
    }

    /// A mail recorded on a ticket, or a notification this mailgate sent
    /// about one (its outbox holds every id it ever wrote, in any form).
    fn ticket_of_message(&self, message_id: &str) -> Option<TicketId> {
        self.conn
            .prepare_cached(
                "SELECT ticket_id FROM (
                     SELECT ticket_id, 0 AS rank FROM messages
                     WHERE message_id = ?1 AND ticket_id IS NOT NULL AND outcome IN ('ticket_created', 'followup_added')
                     UNION ALL
                     SELECT ticket_id, 1 FROM outbox WHERE message_id = ?1 AND ticket_id IS NOT NULL
                 ) ORDER BY rank LIMIT 1",
            )
            .ok()?
            .query_row([message_id], |r| r.get(0))
            .optional()
            .ok()?
    }

    fn earlier_copy(&self, message_id: &str, content_hash: &str) -> Option<i64> {
        self.conn
            .prepare_cached(
                "SELECT id FROM messages WHERE message_id = ?1 AND content_hash = ?2 AND outcome != 'duplicate'
                 ORDER BY id LIMIT 1",
            )
            .ok()?
            .query_row(params![message_id, content_hash], |r| r.get(0))
            .optional()
            .ok()?
    }
}

/// What the life cycle needs to know of ticket `id`, None when there is none.
pub(super) fn facts(conn: &Connection, id: TicketId) -> rusqlite::Result<Option<TicketFacts>> {
    let head: Option<(String, String, u8, u8)> = conn
        .prepare_cached("SELECT status, requester, urgency, impact FROM tickets WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((status, requester, urgency, impact)) = head else { return Ok(None) };
    let mut stmt =
        conn.prepare_cached("SELECT role, group_name FROM ticket_groups WHERE ticket_id = ?1 ORDER BY rowid")?;
    let groups: Vec<(String, String)> =
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let groups_as = |role: &str| groups.iter().filter(|(r, _)| r == role).map(|(_, g)| g.clone()).collect();
    let mut stmt = conn.prepare_cached("SELECT role, email FROM actors WHERE ticket_id = ?1 ORDER BY rowid")?;
    let actors: Vec<(String, String)> =
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let with_role = |role: &str| actors.iter().filter(|(r, _)| r == role).map(|(_, e)| e.clone()).collect();
    // The latest solution's author: a re-opened ticket goes back to them.
    let solver: Option<String> = conn
        .prepare_cached("SELECT author FROM solutions WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(status) = Status::parse(&status) else { return Ok(None) };
    Ok(Some(TicketFacts {
        id,
        status,
        requester,
        observers: with_role("observer"),
        technicians: with_role("technician"),
        assigned_groups: groups_as("assigned"),
        observer_groups: groups_as("observer"),
        urgency,
        impact,
        solver,
    }))
}
