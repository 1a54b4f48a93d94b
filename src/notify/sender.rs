//! The outbox sender: takes due rows one at a time, sends each through the
//! transport, and records the result. Temporary failures are retried with
//! capped exponential backoff and jitter; permanent ones, or too many
//! attempts, mark the row failed with the error kept for the operator.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use lettre::message::Mailbox;

use super::Notifier;
use super::transport::{Transport, build_message};
use crate::clock::Clock;
use crate::store::{Delivered, Store, StoreError};

/// How the outbox retries a temporary failure.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_attempts: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { first_delay: Duration::from_secs(30), max_delay: Duration::from_secs(3600), max_attempts: 12 }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`.
    pub fn delay_after(&self, attempts: i64) -> Duration {
        let n = usize::try_from(attempts.max(1) - 1).unwrap_or(0);
        ExponentialBuilder::default()
            .with_min_delay(self.first_delay)
            .with_max_delay(self.max_delay)
            .with_jitter()
            .without_max_times()
            .build()
            .nth(n)
            .unwrap_or(self.max_delay)
    }
}

/// What one drain did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Rows claimed and recorded together: one transaction each way per
/// batch instead of two per notification.
const BATCH: usize = 100;

/// Sends every row due now, batch by batch, and returns when none is due.
pub async fn drain<T: Transport>(
    store: &mut Store,
    transport: &T,
    notifier: &Notifier,
    from: &Mailbox,
    retry: &RetryPolicy,
    clock: &dyn Clock,
) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport::default();
    loop {
        let rows = store.claim_due(&clock.now_rfc3339(), BATCH)?;
        if rows.is_empty() {
            return Ok(report);
        }
        let mut results = Vec::with_capacity(rows.len());
        for row in &rows {
            let result = match build_message(row, notifier.html(row), from) {
                Ok(message) => transport.send(message).await,
                Err(e) => Err(e),
            };
            let delivered = match result {
                Ok(delivery) => {
                    tracing::info!(outbox_id = row.id, ticket = row.ticket_id, event = %row.event, to = %row.recipient, "notification sent");
                    report.sent += 1;
                    Delivered::Sent { at: clock.now_rfc3339(), location: delivery.location }
                }
                Err(e) if e.is_transient() && row.attempts < retry.max_attempts => {
                    let at = clock.rfc3339_after(retry.delay_after(row.attempts));
                    tracing::warn!(outbox_id = row.id, to = %row.recipient, error = %e, retry_at = %at, "notification delayed");
                    report.retrying += 1;
                    Delivered::Retry { error: e.to_string(), at }
                }
                Err(e) => {
                    tracing::error!(outbox_id = row.id, to = %row.recipient, error = %e, "notification failed");
                    report.failed += 1;
                    Delivered::Failed { error: e.to_string() }
                }
            };
            results.push((row.id, delivered));
        }
        store.record_deliveries(&results)?;
    }
}
