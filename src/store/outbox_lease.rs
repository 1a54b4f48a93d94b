//! Claiming outbox rows and recording what became of them. A claim is a
//! lease: the row is `sending` for its claimer until a deadline the claimer
//! sets (how long its transport may take), under a token only the claimer
//! knows. Several processes (the daemon, `ingest`s) each open their own
//! Store on the file and drain the same outbox: none claims a row another
//! holds, a killed sender's rows are claimed again once their lease has run
//! out and not before, and a sender that comes back after losing its lease
//! cannot overwrite the new holder's record.

use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, TransactionBehavior, params};

use super::outbox::{COLUMNS, OutboxRow, ROWS, row_to_outbox};
use super::{Store, StoreError};

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

/// The rows due at ?1, at most ?2 of each kind, oldest first: pending ones
/// whose time has come, and `sending` ones whose lease ran out.
const DUE: [&str; 2] = [
    "SELECT next_attempt_at, id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1
     ORDER BY next_attempt_at, id LIMIT ?2",
    "SELECT next_attempt_at, id FROM outbox WHERE state = 'sending' AND (lease_until IS NULL OR lease_until <= ?1)
     ORDER BY next_attempt_at, id LIMIT ?2",
];

impl Store {
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
        let (_, claimed) = self.record_then_claim(None, now, limit, lease_until)?;
        Ok(claimed)
    }

    /// [`Store::record_deliveries`] of the results of an earlier claim, then
    /// [`Store::claim_due`], in one transaction: a sender records its last
    /// results as it claims the next rows, one commit instead of two.
    /// Returns how many results were recorded, and the claim.
    pub fn record_then_claim(
        &mut self,
        results: Option<(&str, &[(i64, Delivered)])>,
        now: &str,
        limit: usize,
        lease_until: impl Fn(usize) -> String,
    ) -> Result<(usize, (String, Vec<OutboxRow>)), StoreError> {
        let token = lease_token(now);
        // IMMEDIATE: the write lock is taken before the due rows are read,
        // so two processes claiming at once are served one after the other.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let recorded = match results {
            Some((token, results)) => record(&tx, token, results)?,
            None => 0,
        };
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
            let mut claim = tx.prepare_cached(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_until = ?2, lease_token = ?3
                 WHERE id = ?1",
            )?;
            let mut read = tx.prepare_cached(&format!("SELECT {COLUMNS} FROM {ROWS} WHERE outbox.id = ?1"))?;
            for (k, id) in ids.iter().enumerate() {
                claim.execute(params![id, lease_until(k), token])?;
                rows.push(read.query_row(params![id], row_to_outbox)?);
            }
        }
        tx.commit()?;
        Ok((recorded, (token, rows)))
    }

    /// Records what became of rows claimed under `token`, in one
    /// transaction. A row whose lease was lost (claimed since by another
    /// sender, or recorded already) is left as it is: only the lease holder
    /// records. Returns how many rows were recorded.
    pub fn record_deliveries(&mut self, token: &str, results: &[(i64, Delivered)]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let recorded = record(&tx, token, results)?;
        tx.commit()?;
        Ok(recorded)
    }
}

/// What [`Store::record_deliveries`] does, inside `tx`.
fn record(tx: &Connection, token: &str, results: &[(i64, Delivered)]) -> rusqlite::Result<usize> {
    const HELD: &str = "WHERE id = ?1 AND state = 'sending' AND lease_token = ?2";
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
    Ok(recorded)
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
