//! The store seen through [`View`], the read-only window `intake::decide`
//! looks through. A failed read answers "unknown": the decision then opens a
//! ticket rather than losing the mail, and the write that follows surfaces a
//! persistent database fault.

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::intake::{TicketFacts, View};
use crate::ticket::{Status, TicketId};

impl View for Store {
    fn ticket(&self, id: TicketId) -> Option<TicketFacts> {
        let (status, requester, urgency, impact): (String, String, u8, u8) = self
            .conn
            .prepare_cached("SELECT status, requester, urgency, impact FROM tickets WHERE id = ?1")
            .ok()?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()
            .ok()??;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT role, group_name FROM ticket_groups WHERE ticket_id = ?1 ORDER BY rowid")
            .ok()?;
        let groups: Vec<(String, String)> =
            stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?))).ok()?.filter_map(Result::ok).collect();
        let groups_as = |role: &str| groups.iter().filter(|(r, _)| r == role).map(|(_, g)| g.clone()).collect();
        let mut stmt =
            self.conn.prepare_cached("SELECT role, email FROM actors WHERE ticket_id = ?1 ORDER BY rowid").ok()?;
        let actors: Vec<(String, String)> =
            stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?))).ok()?.filter_map(Result::ok).collect();
        let with_role = |role: &str| actors.iter().filter(|(r, _)| r == role).map(|(_, e)| e.clone()).collect();
        // The latest solution's author: a re-opened ticket goes back to them.
        let solver: Option<String> = self
            .conn
            .prepare_cached("SELECT author FROM solutions WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1")
            .ok()?
            .query_row([id], |r| r.get(0))
            .optional()
            .ok()?;
        Some(TicketFacts {
            id,
            status: Status::parse(&status)?,
            requester,
            observers: with_role("observer"),
            technicians: with_role("technician"),
            assigned_groups: groups_as("assigned"),
            observer_groups: groups_as("observer"),
            urgency,
            impact,
            solver,
        })
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
