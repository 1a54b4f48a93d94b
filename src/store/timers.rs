//! What happens to tickets with time rather than mail: a solution nobody
//! answered is taken as accepted and its ticket closed after
//! `tickets.auto_close_days`, as GLPI does, with the people concerned told.
//! Each ticket closes in its own savepoint of one transaction, with its
//! history line and notifications, like a mail's effects.

use rusqlite::{Connection, params};

use super::changes::{self, ChangeContext};
use super::{Store, StoreError, tickets};
use crate::lifecycle::Change;
use crate::mail::Mailbox;
use crate::notify::{Notifier, Trigger};
use crate::ticket::{Event, Role, Status, TicketId};

impl Store {
    /// Closes the tickets solved at or before `cutoff` (RFC 3339) and still
    /// waiting for their requester; `at` is now. Returns the tickets closed.
    pub fn close_unanswered_solutions(
        &mut self,
        cutoff: &str,
        at: &str,
        notifier: &Notifier,
    ) -> Result<Vec<TicketId>, StoreError> {
        let due: Vec<TicketId> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id FROM tickets WHERE status = 'solved' AND solved_at IS NOT NULL AND solved_at <= ?1
                 ORDER BY id",
            )?;
            stmt.query_map([cutoff], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        if due.is_empty() {
            return Ok(due);
        }
        let own = Mailbox::new(notifier.own_address(), None);
        // A batch of mails left open by group commit is committed first: a
        // transaction cannot start inside it.
        self.end_batch(true)?;
        let mut tx = self.conn.transaction()?;
        let mut closed = Vec::new();
        for &ticket in &due {
            // One savepoint per ticket: a ticket that cannot be closed is
            // logged and left for the next pass; the others close.
            let savepoint = tx.savepoint()?;
            match close_one(&savepoint, ticket, &own, at, notifier) {
                Ok(()) => {
                    savepoint.commit()?;
                    closed.push(ticket);
                }
                Err(e) => tracing::error!(ticket, error = %e, "could not close the ticket; retrying at the next pass"),
            }
        }
        tx.commit()?;
        Ok(closed)
    }
}

fn close_one(
    tx: &Connection,
    ticket: TicketId,
    own: &Mailbox,
    at: &str,
    notifier: &Notifier,
) -> Result<(), StoreError> {
    let context = ChangeContext { ticket, author: own, at, text: "", followup: None };
    changes::apply(tx, &context, &[Change::AcceptSolution, Change::Status(Status::Closed)])?;
    tickets::history(tx, ticket, at, &own.address, "closed_automatically", notifier.auto_close_reason())?;
    let ticket_context = tickets::context(tx, ticket)?;
    let trigger = Trigger::new(own.clone(), Role::Technician, notifier.thread_root(ticket));
    for n in notifier.notifications(Event::Closed, &ticket_context, &trigger, at) {
        super::outbox::insert(tx, &n, at)?;
    }
    tx.prepare_cached("UPDATE tickets SET updated_at = ?1 WHERE id = ?2")?.execute(params![at, ticket])?;
    Ok(())
}
