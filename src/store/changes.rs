//! Applying a [`Plan`]'s changes to a ticket, each with its line in the
//! ticket's history (who, when, what, from what to what), inside the
//! transaction of the mail (or web action, or timer) that asked for them. The history is the audit log
//! `tickets show` prints: every change goes through here and leaves a line.

use rusqlite::{Connection, OptionalExtension, params};

use super::Tx;

use super::StoreError;
use super::tickets::{add_actor, set_status};
use crate::lifecycle::Change;
use crate::mail::Mailbox;
use crate::ticket::{Role, TicketId};

/// What the changes are applied for: the ticket, who made them, when, and
/// the followup carrying the reply's text (the solution's text, for
/// [`Change::ProposeSolution`]).
pub struct ChangeContext<'a> {
    pub ticket: TicketId,
    pub author: &'a Mailbox,
    pub at: &'a str,
    pub text: &'a str,
    pub followup: Option<i64>,
}

pub(super) fn apply(tx: &Tx<'_>, c: &ChangeContext<'_>, changes: &[Change]) -> Result<(), StoreError> {
    let (ticket, actor, at) = (c.ticket, c.author.address.as_str(), c.at);
    for change in changes {
        match change {
            Change::Status(status) => set_status(tx.conn, tx.door, ticket, *status, actor, at)?,
            Change::SettleSolution { accepted } => {
                decide_solution(tx.conn, c, if *accepted { "accepted" } else { "rejected" })?
            }
            Change::AssignTechnician(who) => {
                add_actor(tx.conn, ticket, Role::Technician, who)?;
                tx.history(ticket, at, actor, "assigned", &who.address)?;
            }
            Change::UnassignTechnician(address) => {
                tx.conn
                    .prepare_cached("DELETE FROM actors WHERE ticket_id = ?1 AND role = 'technician' AND email = ?2")?
                    .execute(params![ticket, address])?;
                tx.history(ticket, at, actor, "unassigned", address)?;
            }
            Change::AssignGroup(name) => {
                add_group(tx.conn, ticket, "assigned", name)?;
                tx.history(ticket, at, actor, "group_assigned", name)?;
            }
            Change::UnassignGroup(name) => {
                tx.conn
                    .prepare_cached(
                        "DELETE FROM ticket_groups WHERE ticket_id = ?1 AND role = 'assigned' AND group_name = ?2",
                    )?
                    .execute(params![ticket, name])?;
                tx.history(ticket, at, actor, "group_unassigned", name)?;
            }
            Change::ObserveGroup(name) => {
                add_group(tx.conn, ticket, "observer", name)?;
                tx.history(ticket, at, actor, "group_observer_added", name)?;
            }
            Change::ObservePerson(who) => {
                add_actor(tx.conn, ticket, Role::Observer, who)?;
                tx.history(ticket, at, actor, "observer_added", &who.address)?;
            }
            Change::Urgency { urgency, priority } => {
                set_field(tx, c, "urgency", &urgency.to_string())?;
                set_field(tx, c, "priority", &priority.to_string())?;
            }
            Change::Impact { impact, priority } => {
                set_field(tx, c, "impact", &impact.to_string())?;
                set_field(tx, c, "priority", &priority.to_string())?;
            }
            Change::Category(path) => set_field(tx, c, "category", path)?,
            Change::Type(kind) => set_field(tx, c, "type", kind.as_str())?,
            Change::Location(place) => set_field(tx, c, "location", place)?,
            Change::ProposeSolution => {
                // A new solution replaces one still waiting for an answer.
                decide_solution(tx.conn, c, "rejected")?;
                tx.conn.prepare_cached(
                    "INSERT INTO solutions (ticket_id, followup_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![ticket, c.followup, actor, c.text, at])?;
                // The approval delay counts from the latest solution.
                tx.conn
                    .prepare_cached("UPDATE tickets SET solved_at = ?1 WHERE id = ?2")?
                    .execute(params![at, ticket])?;
                tx.history(ticket, at, actor, "solution_proposed", "")?;
            }
            Change::AcceptSolution => {
                decide_solution(tx.conn, c, "accepted")?;
                tx.history(ticket, at, actor, "solution_accepted", "")?;
            }
            Change::RejectSolution => {
                decide_solution(tx.conn, c, "rejected")?;
                tx.history(ticket, at, actor, "solution_rejected", "")?;
            }
        }
    }
    Ok(())
}

fn add_group(conn: &Connection, ticket: TicketId, role: &str, name: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO ticket_groups (ticket_id, role, group_name) VALUES (?1, ?2, ?3)")?
        .execute(params![ticket, role, name])?;
    Ok(())
}

/// Sets one of the ticket's plain fields, with "old -> new" in the history.
/// `column` is one of a fixed set named by the code above, never user text.
fn set_field(tx: &Tx<'_>, c: &ChangeContext<'_>, column: &'static str, value: &str) -> Result<(), StoreError> {
    debug_assert!(["urgency", "impact", "priority", "category", "type", "location"].contains(&column));
    let old: Option<String> = tx
        .conn
        .prepare_cached(&format!("SELECT CAST({column} AS TEXT) FROM tickets WHERE id = ?1"))?
        .query_row([c.ticket], |r| r.get(0))
        .optional()?
        .flatten();
    if old.as_deref() == Some(value) {
        return Ok(());
    }
    tx.conn
        .prepare_cached(&format!("UPDATE tickets SET {column} = ?1, updated_at = ?2 WHERE id = ?3"))?
        .execute(params![value, c.at, c.ticket])?;
    let detail = format!("{} -> {value}", old.as_deref().unwrap_or("-"));
    tx.history(c.ticket, c.at, &c.author.address, column, &detail)?;
    Ok(())
}

/// Records the requester's verdict on the solution waiting for one.
fn decide_solution(conn: &Connection, c: &ChangeContext<'_>, state: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE solutions SET state = ?1, decided_at = ?2, decided_by = ?3 WHERE ticket_id = ?4 AND state = 'waiting'",
    )?
    .execute(params![state, c.at, c.author.address, c.ticket])?;
    Ok(())
}
