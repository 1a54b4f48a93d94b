//! The durable outbox. A row is written with the change that caused it and
//! moves pending → sending → sent, or to failed with the server's answer.
//! `sending` is written before the transport is called and `sent` after, so
//! a crash in between resends at most once, with the same Message-ID.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::notify::Notification;
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
}

pub(super) fn insert(conn: &Connection, n: &Notification, at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox (ticket_id, event, recipient, subject, body_text, message_id, in_reply_to,
                             references_ids, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        n.ticket,
        n.event.as_str(),
        n.recipient,
        n.subject,
        n.text,
        n.message_id,
        n.in_reply_to,
        n.references.join(" "),
        at
    ])?;
    Ok(())
}

/// What became of one claimed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    Sent {
        at: String,
        location: Option<String>,
    },
    /// A temporary failure: back to pending, due again at `at`.
    Retry {
        error: String,
        at: String,
    },
    Failed {
        error: String,
    },
    /// Over the per-address rate guard: kept for an operator.
    Held {
        reason: String,
    },
}

const COLUMNS: &str = "id, ticket_id, event, recipient, subject, state, attempts, last_error, created_at, sent_at,
                       delivered_to, body_text, message_id, in_reply_to, references_ids, released";

fn row_to_outbox(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
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
        body_text: r.get(11)?,
        message_id: r.get(12)?,
        in_reply_to: r.get(13)?,
        references: references.split_whitespace().map(str::to_string).collect(),
        released: r.get(15)?,
    })
}

impl Store {
    pub fn list_outbox(&self, state: Option<OutboxState>) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE (?1 IS NULL OR state = ?1) ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([state.map(OutboxState::as_str)], row_to_outbox)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` rows due at `now`, claimed in one transaction: marked
    /// `sending` with one more attempt, so two senders never take one row.
    /// Rows left `sending` by a crash are due again, and are resent at most
    /// once per crash, with the same Message-ID.
    pub fn claim_due(&mut self, now: &str, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox WHERE state IN ('pending', 'sending') AND next_attempt_at <= ?1
                          ORDER BY next_attempt_at, id LIMIT ?2)
             RETURNING {COLUMNS}"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows: Vec<OutboxRow> = stmt.query_map(params![now, limit], row_to_outbox)?.collect::<Result<_, _>>()?;
        // RETURNING gives no order guarantee; send oldest first.
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Records what became of claimed rows, in one transaction.
    pub fn record_deliveries(&mut self, results: &[(i64, Delivered)]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (id, delivered) in results {
            match delivered {
                Delivered::Sent { at, location } => tx
                    .prepare_cached(
                        "UPDATE outbox SET state = 'sent', sent_at = ?2, delivered_to = ?3, last_error = NULL
                         WHERE id = ?1",
                    )?
                    .execute(params![id, at, location])?,
                Delivered::Retry { error, at } => tx
                    .prepare_cached(
                        "UPDATE outbox SET state = 'pending', last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
                    )?
                    .execute(params![id, error, at])?,
                Delivered::Failed { error } => tx
                    .prepare_cached("UPDATE outbox SET state = 'failed', last_error = ?2 WHERE id = ?1")?
                    .execute(params![id, error])?,
                Delivered::Held { reason } => tx
                    .prepare_cached("UPDATE outbox SET state = 'held', last_error = ?2 WHERE id = ?1")?
                    .execute(params![id, reason])?,
            };
        }
        tx.commit()?;
        Ok(())
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
