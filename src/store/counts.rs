//! The numbers an operator watches, read in one go: what `/metrics` and the
//! systemd status line show. Totals come from the tables themselves, so they
//! survive restarts and agree with `mailgate messages list`.

use rusqlite::OptionalExtension;

use super::{OutboxState, Store, StoreError};
use crate::intake::Outcome;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every mail ever recorded, by outcome.
    pub messages: Vec<(Outcome, i64)>,
    pub tickets: i64,
    pub tickets_since: i64,
    pub followups: i64,
    pub outbox: Vec<(OutboxState, i64)>,
    /// When the oldest notification still waiting to be sent was queued.
    pub oldest_pending: Option<String>,
}

impl Counts {
    /// Notifications not yet handed to the transport.
    pub fn outbox_depth(&self) -> i64 {
        self.outbox
            .iter()
            .filter(|(s, _)| matches!(s, OutboxState::Pending | OutboxState::Sending))
            .map(|(_, n)| n)
            .sum()
    }
}

impl Store {
    /// The counts, with `tickets_since` counting tickets opened at or after
    /// `since` (RFC 3339).
    pub fn counts(&self, since: &str) -> Result<Counts, StoreError> {
        let messages = self.outcome_counts_since("")?;
        let count = |sql: &str, param: Option<&str>| -> Result<i64, StoreError> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            Ok(match param {
                Some(p) => stmt.query_row([p], |r| r.get(0))?,
                None => stmt.query_row([], |r| r.get(0))?,
            })
        };
        let mut stmt = self.conn.prepare_cached("SELECT state, COUNT(*) FROM outbox GROUP BY state")?;
        let mut outbox = Vec::new();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (state, n) = row?;
            if let Some(state) = OutboxState::parse(&state) {
                outbox.push((state, n));
            }
        }
        let oldest_pending = self
            .conn
            .prepare_cached("SELECT MIN(created_at) FROM outbox WHERE state IN ('pending', 'sending')")?
            .query_row([], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten();
        Ok(Counts {
            messages,
            tickets: count("SELECT COUNT(*) FROM tickets", None)?,
            tickets_since: count("SELECT COUNT(*) FROM tickets WHERE created_at >= ?1", Some(since))?,
            followups: count("SELECT COUNT(*) FROM followups", None)?,
            outbox,
            oldest_pending,
        })
    }
}
