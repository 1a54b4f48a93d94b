//! The rows a mail is recorded as: the message itself (with its raw copy),
//! a new ticket, the attachments. SQL only, called through [`super::Tx`];
//! which rows to write is decided in [`crate::desk`].

use rusqlite::{Connection, params};

use super::tx::NewTicketRow;
use super::{StoreError, put_blob};
use crate::intake::Outcome;
use crate::intake::trust::Verdict;
use crate::mail::{Attachment, InboundMail};
use crate::ticket::TicketId;

/// A mail as handed over by a source, before any decision.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub source: &'a str,
    pub key: &'a str,
    /// The raw copy kept: the whole mail, or only its head when it was over
    /// the size limit.
    pub raw: &'a [u8],
    /// The mail's real size.
    pub size: u64,
    /// RFC 3339, UTC.
    pub at: &'a str,
    /// Set when an operator replays a stored message.
    pub replay_of: Option<i64>,
    /// The sender's authentication verdict, when `[trust]` is on.
    pub trust: Option<&'a Verdict>,
}

/// Inserts a new ticket's row; returns its number.
pub(super) fn insert_ticket(tx: &Connection, t: &NewTicketRow<'_>) -> Result<TicketId, StoreError> {
    let f = t.routing;
    tx.prepare_cached(
        "INSERT INTO tickets (title, description, status, type, entity, requester, related_ticket_id, category,
                              urgency, impact, priority, location, rule, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
    )?
    .execute(params![
        t.title,
        t.description,
        t.status.as_str(),
        f.ticket_type.as_str(),
        f.entity,
        t.requester,
        t.related,
        f.category,
        f.urgency,
        f.impact,
        f.priority,
        f.location,
        f.rule,
        t.at
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Records a mail and keeps its raw copy; returns its row.
pub(super) fn insert_message(
    tx: &Connection,
    received: &Received<'_>,
    mail: Option<&InboundMail>,
    outcome: Outcome,
    reason: Option<&str>,
    quarantined: bool,
) -> Result<i64, StoreError> {
    let raw_sha256 = crate::mail::parse::sha256_hex(received.raw);
    let raw_sha256 = raw_sha256.as_str();
    put_blob(tx, raw_sha256, received.raw)?;
    // A mail that could not be parsed is still identified, by its bytes.
    let (message_id, derived, content_hash) = match mail {
        Some(m) => (m.message_id.clone(), m.message_id_derived, m.content_hash.as_str()),
        None => (format!("{}@{}", &raw_sha256[..32], crate::mail::parse::DERIVED_ID_DOMAIN), true, raw_sha256),
    };
    tx.prepare_cached(
        "INSERT INTO messages (source, source_key, message_id, message_id_derived, content_hash, raw_sha256, size,
                               sender, subject, outcome, reason, replay_of, received_at, defects,
                               trust, quarantined)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        received.source,
        received.key,
        message_id,
        derived,
        content_hash,
        raw_sha256,
        i64::try_from(received.size).unwrap_or(i64::MAX),
        mail.and_then(|m| m.from.as_ref()).map(|f| f.address.as_str()),
        mail.map(|m| m.subject.as_str()).unwrap_or(""),
        outcome.as_str(),
        reason,
        received.replay_of,
        received.at,
        mail.filter(|m| !m.defects.is_empty()).map(|m| m.defects.join("\n")),
        received.trust.map(Verdict::record),
        quarantined,
    ])?;
    let row = tx.last_insert_rowid();
    if outcome != Outcome::Duplicate && received.replay_of.is_none() {
        // Fails on a second record of the same mail: the decision that
        // found it new was wrong, and the mail's savepoint rolls back.
        tx.prepare_cached(
            "INSERT INTO message_identities (message_id, content_hash, message_row) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![message_id, content_hash, row])?;
    }
    Ok(row)
}

pub(super) fn store_attachments(
    tx: &Connection,
    ticket: TicketId,
    followup: Option<i64>,
    message_row: Option<i64>,
    files: &[Attachment],
) -> Result<(), StoreError> {
    for a in files {
        put_blob(tx, &a.sha256, &a.content)?;
        tx.prepare_cached(
            "INSERT INTO attachments (ticket_id, followup_id, message_row_id, filename, content_type, size, sha256, inline,
                                      content_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            ticket,
            followup,
            message_row,
            a.filename,
            a.content_type,
            a.size as i64,
            a.sha256,
            a.inline,
            a.content_id
        ])?;
    }
    Ok(())
}
