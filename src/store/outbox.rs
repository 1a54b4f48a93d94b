//! The durable outbox. A row is written with the change that caused it and
//! moves pending → sending → sent, or to failed with the server's answer.
//! `sending` is written before the transport is called and `sent` after, so
//! a crash in between resends at most once, with the same Message-ID.
//! Claims and their leases are in `outbox_lease`. A row's text is in
//! `notification_bodies`, shared by the recipients who get the same words.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::news::Notification;
use crate::ticket::TicketId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    Pending,
    Sending,
    Sent,
    Failed,
    Held,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxState> {
        [Self::Pending, Self::Sending, Self::Sent, Self::Failed, Self::Held].into_iter().find(|st| st.as_str() == s)
    }
}

/// An outbox row. The JSON shape (`ticket_id`, `event`, `to`, `subject`,
/// `state`) is documented in the README; the other fields are extra.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    /// None for a daily digest, which is about many tickets.
    pub ticket_id: Option<TicketId>,
    pub event: String,
    #[serde(rename = "to")]
    pub recipient: String,
    pub subject: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// Where the transport put it (a file path for the file transport).
    pub delivered_to: Option<String>,
    #[serde(skip)]
    pub body_text: String,
    #[serde(skip)]
    pub message_id: String,
    #[serde(skip)]
    pub in_reply_to: Option<String>,
    #[serde(skip)]
    pub references: Vec<String>,
    /// Released by an operator after the rate guard held it.
    #[serde(skip)]
    pub released: bool,
    /// While `sending`: when the claimer's lease runs out.
    pub lease_until: Option<String>,
    /// `body_text` holds [`crate::news::LINK_MARKER`]s that stand for the
    /// recipient's link, put back by the sender.
    #[serde(skip)]
    pub personal_link: bool,
}

/// The most a stored notification body inflates to (bodies are bounded far
/// below it, see notify::bounds).
const MAX_BODY_BYTES: usize = 16 << 20;

/// Queues `notifications` (those of one event, or one), storing each
/// distinct text once (see migration 0012); returns their row ids in order.
pub(super) fn insert(conn: &Connection, notifications: &[Notification], at: &str) -> rusqlite::Result<Vec<i64>> {
    // By text: a group of hundreds, each greeted by name, is one lookup
    // per notification, not a comparison with every text before it.
    let mut bodies: HashMap<std::borrow::Cow<'_, str>, i64> = HashMap::new();
    let mut rows = Vec::with_capacity(notifications.len());
    for n in notifications {
        let (text, personal_link) = n.shared_text();
        let body = match bodies.get(&text) {
            Some(id) => *id,
            None => {
                let id = insert_body(conn, &text)?;
                bodies.insert(text, id);
                id
            }
        };
        conn.prepare_cached(
            "INSERT INTO outbox (ticket_id, event, recipient, subject, body_text, body_id, personal_link, message_id,
                                 in_reply_to, references_ids, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        )?
        .execute(params![
            n.ticket,
            n.event.as_str(),
            n.recipient,
            n.subject,
            body,
            personal_link,
            n.message_id,
            n.in_reply_to,
            n.references.join(" "),
            at
        ])?;
        rows.push(conn.last_insert_rowid());
    }
    Ok(rows)
}

fn insert_body(conn: &Connection, text: &str) -> rusqlite::Result<i64> {
    // Notification bodies were over half of what the database grew by per
    // mail; text compresses several times over.
    let packed = super::blobs::compress(text.as_bytes());
    let plain = if packed.is_some() { "" } else { text };
    conn.prepare_cached("INSERT INTO notification_bodies (text, text_zstd) VALUES (?1, ?2)")?
        .execute(params![plain, packed])?;
    Ok(conn.last_insert_rowid())
}

/// A row's body: the text column, or the compressed one when set.
fn body(text: String, packed: Option<Vec<u8>>) -> rusqlite::Result<String> {
    let Some(packed) = packed else { return Ok(text) };
    let bytes = super::blobs::inflate(&packed, MAX_BODY_BYTES)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(17, rusqlite::types::Type::Blob, e.into()))?;
    String::from_utf8(bytes)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(17, rusqlite::types::Type::Blob, Box::new(e)))
}

/// A row's columns, read `FROM` [`ROWS`]: its body is in
/// `notification_bodies`, or in its own columns when written before them.
pub(super) const COLUMNS: &str =
    "outbox.id, ticket_id, event, recipient, subject, state, attempts, last_error, created_at, sent_at,
     delivered_to, COALESCE(b.text, outbox.body_text), message_id, in_reply_to, references_ids, released,
     lease_until, CASE WHEN b.id IS NULL THEN outbox.body_zstd ELSE b.text_zstd END, personal_link";

/// Outbox rows with their bodies.
pub(super) const ROWS: &str = "outbox LEFT JOIN notification_bodies b ON b.id = outbox.body_id";

pub(super) fn row_to_outbox(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    let state: String = r.get(5)?;
    let references: String = r.get(14)?;
    Ok(OutboxRow {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        event: r.get(2)?,
        recipient: r.get(3)?,
        subject: r.get(4)?,
        state: OutboxState::parse(&state)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(5, state, rusqlite::types::Type::Text))?,
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        created_at: r.get(8)?,
        sent_at: r.get(9)?,
        delivered_to: r.get(10)?,
        body_text: body(r.get(11)?, r.get(17)?)?,
        message_id: r.get(12)?,
        in_reply_to: r.get(13)?,
        references: references.split_whitespace().map(str::to_string).collect(),
        released: r.get(15)?,
        lease_until: r.get(16)?,
        personal_link: r.get(18)?,
    })
}

impl Store {
    pub fn list_outbox(&self, state: Option<OutboxState>) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {ROWS} WHERE (?1 IS NULL OR state = ?1) ORDER BY outbox.id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([state.map(OutboxState::as_str)], row_to_outbox)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many notifications went to `recipient` since `since` (RFC 3339).
    pub fn sent_to_since(&self, recipient: &str, since: &str) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM outbox WHERE recipient = ?1 AND sent_at >= ?2 AND state = 'sent'")?
            .query_row(params![recipient, since], |r| r.get(0))?)
    }

    /// Puts a failed or held row back in the queue, due at `now`, with its
    /// attempts reset; a held row is marked released so that the rate guard
    /// lets it through. Returns whether the row was in one of those states.
    pub fn requeue(&mut self, id: i64, now: &str) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET released = (state = 'held') OR released, state = 'pending', attempts = 0,
                        next_attempt_at = ?2
                 WHERE id = ?1 AND state IN ('failed', 'held')",
            )?
            .execute(params![id, now])?;
        Ok(changed == 1)
    }

    /// Releases every row the rate guard held: queued again, due at `now`,
    /// and let through the guard. Returns how many.
    pub fn release_held(&mut self, now: &str) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE outbox SET released = 1, state = 'pending', attempts = 0, next_attempt_at = ?1
                 WHERE state = 'held'",
            )?
            .execute(params![now])?)
    }

    /// Puts every failed row back in the queue; returns how many.
    pub fn requeue_failed(&mut self, now: &str) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1 WHERE state = 'failed'",
            )?
            .execute(params![now])?)
    }

    /// Pending rows, for the status line and `--once` draining.
    pub fn outbox_depth(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows queued before migration 0012 keep their text in their own
    /// columns, plain or compressed: after the upgrade they are read, and
    /// sent, with it.
    #[test]
    fn a_row_queued_before_texts_had_their_own_table_keeps_its_text() {
        let store = Store::open_in_memory().expect("store");
        let packed = super::super::blobs::compress("Bonjour, votre demande est enregistrée.\n".repeat(20).as_bytes());
        store
            .conn
            .execute(
                "INSERT INTO outbox (id, event, recipient, subject, body_text, body_zstd, message_id, next_attempt_at,
                                     created_at)
                 VALUES (1, 'ticket_new', 'a@ac.fr', 's', 'En clair', NULL, 'm1', 't', 't'),
                        (2, 'ticket_new', 'b@ac.fr', 's', '', ?1, 'm2', 't', 't')",
                [packed],
            )
            .expect("rows of the old shape");
        let texts: Vec<(String, bool)> =
            store.list_outbox(None).expect("list").into_iter().map(|r| (r.body_text, r.personal_link)).collect();
        assert_eq!(texts[0], ("En clair".to_string(), false));
        assert_eq!(texts[1], ("Bonjour, votre demande est enregistrée.\n".repeat(20), false));
    }
}
