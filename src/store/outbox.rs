//! The durable outbox. A row is written with the change that caused it and
//! moves pending → sending → sent, or to failed with the server's answer.
//! `sending` is written before the transport is called and `sent` after, so
//! a crash in between resends at most once, with the same Message-ID.
//!
//! A claim is a lease: the row is `sending` for its claimer until a
//! deadline the claimer sets (how long its transport may take), under a
//! token only the claimer knows. Several processes (the daemon, `ingest`s)
//! each open their own Store on the file and drain the same outbox: none
//! claims a row another holds, a killed sender's rows are claimed again
//! once their lease has run out and not before, and a sender that comes
//! back after losing its lease cannot overwrite the new holder's record.

use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, TransactionBehavior, params};
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
}

/// The most a stored notification body inflates to (bodies are bounded far
/// below it, see notify::bounds).
const MAX_BODY_BYTES: usize = 16 << 20;

pub(super) fn insert(conn: &Connection, n: &Notification, at: &str) -> rusqlite::Result<()> {
    // Notification bodies were over half of what the database grew by per
    // mail; text compresses several times over.
    let packed = super::blobs::compress(n.text.as_bytes());
    let body_text = if packed.is_some() { "" } else { n.text.as_str() };
    conn.prepare_cached(
        "INSERT INTO outbox (ticket_id, event, recipient, subject, body_text, body_zstd, message_id, in_reply_to,
                             references_ids, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        n.ticket,
        n.event.as_str(),
        n.recipient,
        n.subject,
        body_text,
        packed,
        n.message_id,
        n.in_reply_to,
        n.references.join(" "),
        at
    ])?;
    Ok(())
}

/// A row's body: the text column, or the compressed one when set.
fn body(text: String, packed: Option<Vec<u8>>) -> rusqlite::Result<String> {
    let Some(packed) = packed else { return Ok(text) };
    let bytes = super::blobs::inflate(&packed, MAX_BODY_BYTES)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(17, rusqlite::types::Type::Blob, e.into()))?;
    String::from_utf8(bytes)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(17, rusqlite::types::Type::Blob, Box::new(e)))
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
    /// Claimed but never handed to the transport (its lease could not have
    /// covered the send): back to pending as it was, the attempt not counted.
    NotTried,
}

pub(super) const COLUMNS: &str =
    "id, ticket_id, event, recipient, subject, state, attempts, last_error, created_at, sent_at,
                       delivered_to, body_text, message_id, in_reply_to, references_ids, released, lease_until,
                       body_zstd";

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
    })
}

/// The rows due at ?1, at most ?2 of each kind, oldest first: pending ones
/// whose time has come, and `sending` ones whose lease ran out.
const DUE: [&str; 2] = [
    "SELECT next_attempt_at, id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1
     ORDER BY next_attempt_at, id LIMIT ?2",
    "SELECT next_attempt_at, id FROM outbox WHERE state = 'sending' AND (lease_until IS NULL OR lease_until <= ?1)
     ORDER BY next_attempt_at, id LIMIT ?2",
];

impl Store {
    pub fn list_outbox(&self, state: Option<OutboxState>) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE (?1 IS NULL OR state = ?1) ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([state.map(OutboxState::as_str)], row_to_outbox)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` rows due at `now`, claimed in one transaction and
    /// returned oldest first with the claim's token. A row is due when it
    /// is pending and its time has come, or when it is `sending` under a
    /// lease that ran out at or before `now` (its sender died). The k-th
    /// row claimed is leased until `lease_until(k)`: a sender that works
    /// through its rows a few at a time gives the later ones longer.
    /// Each claim counts an attempt.
    pub fn claim_due(
        &mut self,
        now: &str,
        limit: usize,
        lease_until: impl Fn(usize) -> String,
    ) -> Result<(String, Vec<OutboxRow>), StoreError> {
        let token = lease_token(now);
        // IMMEDIATE: the write lock is taken before the due rows are read,
        // so two processes claiming at once are served one after the other.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Two searches, each walking `outbox_due` in its order and stopping
        // at `limit`, merged here: one query with `OR` made SQLite read and
        // sort every pending row for each claim, quadratic in a backlog
        // (a claim takes a few rows; 26,000 rows pending made a drain of
        // them spend most of its time in that sort).
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut due: Vec<(String, i64)> = Vec::new();
        for sql in DUE {
            let mut stmt = tx.prepare_cached(sql)?;
            for row in stmt.query_map(params![now, limit], |r| Ok((r.get(0)?, r.get(1)?)))? {
                due.push(row?);
            }
        }
        due.sort_unstable();
        let ids: Vec<i64> =
            due.into_iter().take(usize::try_from(limit).unwrap_or(usize::MAX)).map(|(_, id)| id).collect();
        let mut rows = Vec::with_capacity(ids.len());
        {
            let sql = format!(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_until = ?2, lease_token = ?3
                 WHERE id = ?1 RETURNING {COLUMNS}"
            );
            let mut claim = tx.prepare_cached(&sql)?;
            for (k, id) in ids.iter().enumerate() {
                rows.push(claim.query_row(params![id, lease_until(k), token], row_to_outbox)?);
            }
        }
        tx.commit()?;
        Ok((token, rows))
    }

    /// Records what became of rows claimed under `token`, in one
    /// transaction. A row whose lease was lost (claimed since by another
    /// sender, or recorded already) is left as it is: only the lease holder
    /// records. Returns how many rows were recorded.
    pub fn record_deliveries(&mut self, token: &str, results: &[(i64, Delivered)]) -> Result<usize, StoreError> {
        const HELD: &str = "WHERE id = ?1 AND state = 'sending' AND lease_token = ?2";
        let tx = self.conn.transaction()?;
        let mut recorded = 0;
        for (id, delivered) in results {
            let sql = match delivered {
                Delivered::Sent { .. } => {
                    "UPDATE outbox SET state = 'sent', sent_at = ?3, delivered_to = ?4,
                                           last_error = NULL, lease_until = NULL, lease_token = NULL"
                }
                Delivered::Retry { .. } => {
                    "UPDATE outbox SET state = 'pending', last_error = ?3, next_attempt_at = ?4,
                                            lease_until = NULL, lease_token = NULL"
                }
                Delivered::Failed { .. } | Delivered::Held { .. } => {
                    "UPDATE outbox SET state = ?4, last_error = ?3,
                                                                      lease_until = NULL, lease_token = NULL"
                }
                Delivered::NotTried => {
                    "UPDATE outbox SET state = 'pending', attempts = max(attempts - 1, 0),
                                        lease_until = NULL, lease_token = NULL"
                }
            };
            let mut stmt = tx.prepare_cached(&format!("{sql} {HELD}"))?;
            recorded += match delivered {
                Delivered::Sent { at, location } => stmt.execute(params![id, token, at, location])?,
                Delivered::Retry { error, at } => stmt.execute(params![id, token, error, at])?,
                Delivered::Failed { error } => stmt.execute(params![id, token, error, "failed"])?,
                Delivered::Held { reason } => stmt.execute(params![id, token, reason, "held"])?,
                Delivered::NotTried => stmt.execute(params![id, token])?,
            };
        }
        tx.commit()?;
        Ok(recorded)
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

/// A claim's token: unique across processes (the process id) and within
/// one (a counter), so that no two claims ever share one.
fn lease_token(now: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}.{n}.{nanos}.{now}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_walks_the_due_index_in_order_without_sorting_the_backlog() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let store = Store::open(&dir.path().join("m.sqlite3")).expect("store");
        for sql in DUE {
            let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
            let plan: Vec<String> = stmt
                .query_map(params!["2026-01-01T00:00:00Z", 4], |r| r.get::<_, String>(3))
                .expect("plan")
                .collect::<Result<_, _>>()
                .expect("plan rows");
            let costly: Vec<&String> =
                plan.iter().filter(|s| s.contains("TEMP B-TREE") || s.starts_with("SCAN")).collect();
            assert!(costly.is_empty(), "{costly:?} in the plan of {sql}:\n{}", plan.join("\n"));
        }
    }
}
