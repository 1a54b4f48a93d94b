//! Applying a [`Decision`]: the mail's record, its raw copy, the ticket or
//! followup, the attachments, the history lines and the notifications, all in
//! ONE transaction. Either the whole effect of a mail is on disk, or none of
//! it is and the source still holds the mail.

use rusqlite::{Connection, params};

use super::{Store, StoreError, put_blob, tickets};
use crate::intake::{Decision, Outcome};
use crate::mail::{InboundMail, Mailbox, reply};
use crate::notify::{Notifier, Trigger};
use crate::ticket::{Event, Role, Status, TicketId};

/// A mail as handed over by a source, before any decision.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub source: &'a str,
    pub key: &'a str,
    pub raw: &'a [u8],
    /// RFC 3339, UTC.
    pub at: &'a str,
    /// Set when an operator replays a stored message.
    pub replay_of: Option<i64>,
}

/// What applying a decision did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub message_row: i64,
    pub outcome: Outcome,
    pub ticket: Option<TicketId>,
    pub reason: Option<String>,
    pub notifications: usize,
}

impl Store {
    /// Records `received` with its `decision` and every consequence of it.
    /// `mail` is `None` when the bytes could not be parsed or were over the
    /// size limit; the decision is then a refusal and only the record and
    /// the raw copy are written.
    pub fn apply(
        &mut self,
        received: &Received<'_>,
        mail: Option<&InboundMail>,
        decision: &Decision,
        notifier: &Notifier,
    ) -> Result<Applied, StoreError> {
        self.begin_batch()?;
        let conn = &mut self.conn;
        let result = (|| {
            // Dropped uncommitted, the savepoint rolls back this mail alone;
            // the mails before it in the batch stay.
            let savepoint = conn.savepoint()?;
            let applied = apply_in(&savepoint, received, mail, decision, notifier)?;
            savepoint.commit()?;
            Ok(applied)
        })();
        if !self.group_commit {
            self.end_batch(result.is_ok())?;
        }
        result
    }
}

fn apply_in(
    tx: &Connection,
    received: &Received<'_>,
    mail: Option<&InboundMail>,
    decision: &Decision,
    notifier: &Notifier,
) -> Result<Applied, StoreError> {
    let raw_sha256 = crate::mail::parse::sha256_hex(received.raw);
    put_blob(tx, &raw_sha256, received.raw)?;
    let reason = match decision {
        Decision::NewTicket { note, .. } => note.clone(),
        Decision::Followup { .. } => None,
        Decision::Refuse { reason } | Decision::Ignore { reason } => Some(reason.clone()),
        Decision::Duplicate { of } => Some(format!("same Message-ID and content as message {of}")),
    };
    let message_row = insert_message(tx, received, mail, &raw_sha256, decision.outcome(), reason.as_deref())?;

    let mut ticket = None;
    let mut events = Vec::new();
    match (decision, mail) {
        (Decision::NewTicket { title, requester, observers, related, .. }, Some(mail)) => {
            let id = create_ticket(tx, received.at, title, mail, requester, observers, *related, notifier.entity())?;
            store_attachments(tx, id, None, message_row, mail)?;
            ticket = Some(id);
            events.push((Event::TicketNew, trigger(mail, requester, Role::Requester, None)));
            events.push((Event::TicketNewStaff, trigger(mail, requester, Role::Requester, None)));
        }
        (Decision::Followup { ticket: id, author, role, new_status, assign_author }, Some(mail)) => {
            let body = reply::written_part(&mail.text);
            let change = FollowupChange {
                ticket: *id,
                author,
                role: *role,
                body: &body,
                new_status: *new_status,
                assign_author: *assign_author,
            };
            let followup = add_followup(tx, received.at, message_row, &change)?;
            store_attachments(tx, *id, Some(followup), message_row, mail)?;
            ticket = Some(*id);
            events.push((Event::Followup, trigger(mail, author, *role, Some(body))));
        }
        (Decision::NewTicket { .. } | Decision::Followup { .. }, None) => {
            return Err(StoreError::Refused("a ticket or followup needs a parsed mail".into()));
        }
        _ => {}
    }

    let mut notifications = 0;
    if let Some(id) = ticket {
        tx.prepare_cached("UPDATE messages SET ticket_id = ?1 WHERE id = ?2")?.execute(params![id, message_row])?;
        let context = tickets::context(tx, id)?;
        for (event, trigger) in &events {
            for n in notifier.notifications(*event, &context, trigger, received.at) {
                super::outbox::insert(tx, &n, received.at)?;
                notifications += 1;
            }
        }
    }
    Ok(Applied { message_row, outcome: decision.outcome(), ticket, reason, notifications })
}

fn trigger(mail: &InboundMail, author: &Mailbox, role: Role, followup: Option<String>) -> Trigger {
    Trigger { author: author.clone(), author_role: role, message_id: mail.message_id.clone(), followup }
}

#[allow(clippy::too_many_arguments)]
fn create_ticket(
    tx: &Connection,
    at: &str,
    title: &str,
    mail: &InboundMail,
    requester: &Mailbox,
    observers: &[Mailbox],
    related: Option<TicketId>,
    entity: &str,
) -> Result<TicketId, StoreError> {
    let description = reply::before_separator(&mail.text);
    tx.prepare_cached(
        "INSERT INTO tickets (title, description, status, entity, requester, related_ticket_id, created_at, updated_at)
         VALUES (?1, ?2, 'new', ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![title, description, entity, requester.address, related, at])?;
    let id = tx.last_insert_rowid();
    tickets::add_actor(tx, id, Role::Requester, requester)?;
    tickets::history(tx, id, at, &requester.address, "created", title)?;
    for o in observers {
        tickets::add_actor(tx, id, Role::Observer, o)?;
        tickets::history(tx, id, at, &requester.address, "observer_added", &o.address)?;
    }
    Ok(id)
}

/// A followup and the changes it brings to its ticket.
struct FollowupChange<'a> {
    ticket: TicketId,
    author: &'a Mailbox,
    role: Role,
    body: &'a str,
    new_status: Option<Status>,
    assign_author: bool,
}

fn add_followup(tx: &Connection, at: &str, message_row: i64, f: &FollowupChange<'_>) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO followups (ticket_id, message_row_id, author, author_name, role, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![f.ticket, message_row, f.author.address, f.author.name, f.role.as_str(), f.body, at])?;
    let followup = tx.last_insert_rowid();
    tickets::history(tx, f.ticket, at, &f.author.address, "followup", f.role.as_str())?;
    if f.assign_author {
        tickets::add_actor(tx, f.ticket, Role::Technician, f.author)?;
        tickets::history(tx, f.ticket, at, &f.author.address, "assigned", &f.author.address)?;
    }
    if let Some(status) = f.new_status {
        tickets::set_status(tx, f.ticket, status, &f.author.address, at)?;
    }
    tx.prepare_cached("UPDATE tickets SET updated_at = ?1 WHERE id = ?2")?.execute(params![at, f.ticket])?;
    Ok(followup)
}

fn insert_message(
    tx: &Connection,
    received: &Received<'_>,
    mail: Option<&InboundMail>,
    raw_sha256: &str,
    outcome: Outcome,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    // A mail that could not be parsed is still identified, by its bytes.
    let (message_id, derived, content_hash) = match mail {
        Some(m) => (m.message_id.clone(), m.message_id_derived, m.content_hash.as_str()),
        None => (format!("{}@{}", &raw_sha256[..32], crate::mail::parse::DERIVED_ID_DOMAIN), true, raw_sha256),
    };
    tx.prepare_cached(
        "INSERT INTO messages (source, source_key, message_id, message_id_derived, content_hash, raw_sha256, size,
                               sender, subject, outcome, reason, replay_of, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        received.source,
        received.key,
        message_id,
        derived,
        content_hash,
        raw_sha256,
        received.raw.len() as i64,
        mail.and_then(|m| m.from.as_ref()).map(|f| f.address.as_str()),
        mail.map(|m| m.subject.as_str()).unwrap_or(""),
        outcome.as_str(),
        reason,
        received.replay_of,
        received.at,
    ])?;
    Ok(tx.last_insert_rowid())
}

fn store_attachments(
    tx: &Connection,
    ticket: TicketId,
    followup: Option<i64>,
    message_row: i64,
    mail: &InboundMail,
) -> Result<(), StoreError> {
    for a in &mail.attachments {
        put_blob(tx, &a.sha256, &a.content)?;
        tx.prepare_cached(
            "INSERT INTO attachments (ticket_id, followup_id, message_row_id, filename, content_type, size, sha256, inline)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(
            params![ticket, followup, message_row, a.filename, a.content_type, a.size as i64, a.sha256, a.inline],
        )?;
    }
    Ok(())
}
