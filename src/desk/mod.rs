//! The one path into the life cycle. Whatever the door — a mail, a web
//! action, the auto-close timer, the daily digest — the work is the same:
//! read what is needed through the store's [`Tx`], ask the pure rules
//! ([`crate::lifecycle`] for the plan, [`effects`] for what the plan
//! writes and who is told), write through the `Tx`. A mail reply and the
//! matching web action go through [`apply_reply`], so their history and
//! notifications are the same but for the door.
//!
//! The store decides nothing and the rules touch no database: this module
//! is the only place where the two meet.

pub mod act;
pub mod effects;
mod mail;

pub use act::{Act, ActError, ActRequest, Acted};
pub use mail::{Applied, record_mail};

use time::OffsetDateTime;

use crate::lifecycle::{self, Change, Plan};
use crate::mail::{Attachment, Mailbox};
use crate::notify::digest;
use crate::notify::{Notifier, Trigger};
use crate::store::{ChangeContext, FollowupRow, Store, StoreError, Tx};
use crate::ticket::{Door, Event, Role, TicketId};

/// A reply to a ticket, from any door: who wrote it, what it does, the
/// files it brings, and what its notifications answer.
pub struct Reply<'a> {
    pub ticket: TicketId,
    pub author: &'a Mailbox,
    pub role: Role,
    pub plan: &'a Plan,
    /// The mail that brought it; None for another door.
    pub message_row: Option<i64>,
    pub files: &'a [Attachment],
    pub at: &'a str,
    /// The Message-ID the notifications answer: the mail's, or the ticket's
    /// thread root for a door that is not a mail.
    pub answered: String,
    /// Whether notifications may quote the author (see [`Trigger::quote`]).
    pub quote: bool,
}

/// What [`apply_reply`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replied {
    pub followup: Option<i64>,
    pub notifications: usize,
}

/// Applies a reply's plan: its followup (when it has text or files), the
/// files, the changes with their history, and the notifications.
pub fn apply_reply(tx: &Tx<'_>, r: &Reply<'_>, notifier: &Notifier) -> Result<Replied, StoreError> {
    let (plan, ticket, at) = (r.plan, r.ticket, r.at);
    let followup = if plan.text.is_empty() && r.files.is_empty() {
        None
    } else {
        let row = FollowupRow {
            ticket,
            message_row: r.message_row,
            author: r.author,
            role: r.role,
            body: &plan.text,
            private: plan.private,
            at,
        };
        let id = tx.add_followup(&row)?;
        tx.history(ticket, at, &r.author.address, "followup", &effects::followup_detail(r.role, plan.private))?;
        Some(id)
    };
    tx.add_attachments(ticket, followup, r.message_row, r.files)?;
    let context = ChangeContext { ticket, author: r.author, at, text: &plan.text, followup };
    tx.apply_changes(&context, &settled(tx, ticket, &plan.changes)?)?;
    tx.touch(ticket, at)?;
    if let Some(message_row) = r.message_row {
        tx.set_message_ticket(message_row, ticket)?;
    }
    let mut events = effects::plan_events(plan, r.author, r.role, &r.answered);
    let files = match followup {
        Some(id) => tx.followup_files(id)?,
        None => Vec::new(),
    };
    let history = tx.recent_followups(ticket, followup, notifier.history_followups())?;
    for (_, t) in &mut events {
        (t.quote, t.files, t.history) = (r.quote, files.clone(), history.clone());
    }
    let notifications = notify(tx, notifier, ticket, &events, at)?;
    Ok(Replied { followup, notifications })
}

/// Composes the notifications of `events` on `ticket` as it now stands and
/// queues those [`effects::deliverable`] lets go; returns how many.
pub fn notify(
    tx: &Tx<'_>,
    notifier: &Notifier,
    ticket: TicketId,
    events: &[(Event, Trigger)],
    at: &str,
) -> Result<usize, StoreError> {
    let context = tx.ticket_context(ticket)?;
    let all =
        events.iter().flat_map(|(event, trigger)| notifier.notifications(*event, &context, trigger, at)).collect();
    let (kept, held) = effects::deliverable(all);
    for n in &held {
        tracing::warn!(
            ticket,
            event = n.event.as_str(),
            "notification not queued: its recipient is not a plain address"
        );
    }
    tx.queue_notifications(&kept, at)?;
    Ok(kept.len())
}

/// `changes` with a waiting solution settled where they leave « Résolu »
/// ([`lifecycle::settle_waiting_solution`]). Only a status change can, so
/// only then is the ticket's status read: a plain followup costs no query.
fn settled(tx: &Tx<'_>, ticket: TicketId, changes: &[Change]) -> Result<Vec<Change>, StoreError> {
    if changes.iter().any(|c| matches!(c, Change::Status(_))) {
        Ok(lifecycle::settle_waiting_solution(tx.ticket_status(ticket)?, changes))
    } else {
        Ok(changes.to_vec())
    }
}

/// Closes the tickets solved at or before `cutoff` and still waiting for
/// their requester (`at` is now), each in its own savepoint; a ticket that
/// cannot be closed is logged and left for the next pass.
pub fn close_unanswered(
    store: &mut Store,
    cutoff: &str,
    at: &str,
    notifier: &Notifier,
) -> Result<Vec<TicketId>, StoreError> {
    let due = store.solved_before(cutoff)?;
    if due.is_empty() {
        return Ok(due);
    }
    let own = Mailbox::new(notifier.own_address(), None);
    let done = store.write_each(Door::Timer, &due, |tx, ticket| {
        let close = effects::auto_close(&own, notifier.auto_close_reason(), notifier.thread_root(ticket));
        let context = ChangeContext { ticket, author: &own, at, text: "", followup: None };
        tx.apply_changes(&context, &settled(tx, ticket, &close.changes)?)?;
        let h = &close.history;
        tx.history(ticket, at, &h.actor, h.action, &h.detail)?;
        notify(tx, notifier, ticket, std::slice::from_ref(&close.event), at)?;
        tx.touch(ticket, at)
    })?;
    let mut closed = Vec::new();
    for (ticket, result) in done {
        match result {
            Ok(()) => closed.push(ticket),
            Err(e) => tracing::error!(ticket, error = %e, "could not close the ticket; retrying at the next pass"),
        }
    }
    Ok(closed)
}

/// One digest queued: to whom, listing which tickets, in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDigest {
    pub recipient: String,
    pub tickets: Vec<TicketId>,
}

/// Queues the digests of the local day of `local_now`, unless that day's
/// were queued already; returns those queued (none when nobody has an open
/// ticket). The day counts as done either way: a ticket assigned later in
/// the day waits for the next digest.
pub fn queue_digests(
    store: &mut Store,
    local_now: OffsetDateTime,
    notifier: &Notifier,
) -> Result<Vec<QueuedDigest>, StoreError> {
    let day = digest::day_of(local_now);
    // The common case, every minute after the time: a read, no lock.
    if store.digest_queued(&day)? {
        return Ok(Vec::new());
    }
    store.write_alone(Door::Timer, |tx| {
        // Another writer (a `run --once` beside the daemon) may have been first.
        if tx.digest_queued(&day)? {
            return Ok(Vec::new());
        }
        let open = tx.open_tickets()?;
        let digests = digest::select(notifier.staff(), &open);
        let at = crate::clock::rfc3339(local_now);
        tx.record_digest_run(&day, &at, digests.len())?;
        let mut queued = Vec::with_capacity(digests.len());
        for d in &digests {
            let n = notifier.digest(d, local_now);
            tx.queue_notification(&n, &at)?;
            tx.record_digest(&day, &n.recipient, d.lines.len())?;
            queued
                .push(QueuedDigest { recipient: n.recipient, tickets: d.lines.iter().map(|l| l.ticket.id).collect() });
        }
        Ok(queued)
    })
}

#[cfg(test)]
mod digest_tests;
