//! The outbox sender: claims due rows, sends them through the transport a
//! few at a time, and records each result. Temporary failures are retried with
//! capped exponential backoff and jitter; permanent ones, or too many
//! attempts, mark the row failed with the error kept for the operator.

use std::collections::HashMap;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::StreamExt;
use lettre::message::Mailbox;

use super::Notifier;
use super::transport::{Transport, build_message};
use crate::clock::Clock;
use crate::store::{Delivered, OutboxRow, Store, StoreError};

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

impl From<crate::config::RetryConfig> for RetryPolicy {
    fn from(c: crate::config::RetryConfig) -> Self {
        RetryPolicy { first_delay: c.first_delay, max_delay: c.max_delay, max_attempts: i64::from(c.max_attempts) }
    }
}

/// How the outbox sends: retries, the per-address rate guard, and how many
/// messages are in flight at once (the SMTP pool's size).
#[derive(Debug, Clone, Copy)]
pub struct SendPolicy {
    pub retry: RetryPolicy,
    /// 0: no guard.
    pub max_per_address_per_hour: u32,
    pub concurrency: usize,
}

impl Default for SendPolicy {
    fn default() -> Self {
        SendPolicy { retry: RetryPolicy::default(), max_per_address_per_hour: 20, concurrency: 1 }
    }
}

/// What one drain did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub held: usize,
}

/// Rows claimed together: one transaction to claim a batch.
const BATCH: usize = 100;

/// Sends every row due now and returns when none is due. Rows are claimed
/// by batch, sent `concurrency` at a time, and each result is recorded as
/// soon as it is known (grouped only when several arrive together), so a
/// crash resends at most the messages that were in flight.
pub async fn drain<T: Transport>(
    store: &mut Store,
    transport: &T,
    notifier: &Notifier,
    from: &Mailbox,
    policy: &SendPolicy,
    clock: &dyn Clock,
) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport::default();
    loop {
        let rows = store.claim_due(&clock.now_rfc3339(), BATCH)?;
        if rows.is_empty() {
            return Ok(report);
        }
        let (to_send, held) = rate_guard(store, rows, policy.max_per_address_per_hour, clock)?;
        report.held += held.len();
        store.record_deliveries(&held)?;

        let mut results = futures::stream::iter(to_send)
            .map(|row| async move {
                let result = match build_message(&row, notifier.html(&row), from) {
                    Ok(message) => transport.send(message).await,
                    Err(e) => Err(e),
                };
                (row, result)
            })
            .buffer_unordered(policy.concurrency.max(1))
            .ready_chunks(BATCH);
        while let Some(chunk) = results.next().await {
            let outcomes: Vec<(i64, Delivered)> = chunk
                .into_iter()
                .map(|(row, result)| (row.id, outcome(&row, result, policy, clock, &mut report)))
                .collect();
            store.record_deliveries(&outcomes)?;
        }
    }
}

fn outcome(
    row: &OutboxRow,
    result: Result<super::transport::Delivery, super::transport::TransportError>,
    policy: &SendPolicy,
    clock: &dyn Clock,
    report: &mut DrainReport,
) -> Delivered {
    match result {
        Ok(delivery) => {
            crate::fault::point("kill-after-send");
            tracing::info!(outbox_id = row.id, ticket = row.ticket_id, event = %row.event, to = %row.recipient, "notification sent");
            report.sent += 1;
            Delivered::Sent { at: clock.now_rfc3339(), location: delivery.location }
        }
        Err(e) if e.is_transient() && row.attempts < policy.retry.max_attempts => {
            let at = clock.rfc3339_after(policy.retry.delay_after(row.attempts));
            tracing::warn!(outbox_id = row.id, to = %row.recipient, error = %e, retry_at = %at, "notification delayed");
            report.retrying += 1;
            Delivered::Retry { error: e.to_string(), at }
        }
        Err(e) => {
            tracing::error!(outbox_id = row.id, to = %row.recipient, error = %e, "notification failed");
            report.failed += 1;
            Delivered::Failed { error: e.to_string() }
        }
    }
}

/// Rows the rate guard keeps back, with their reason.
type Held = Vec<(i64, Delivered)>;

/// Splits claimed rows into those that may go and those held because their
/// address already had `limit` notifications in the last hour. A loop with
/// a responder that ignores every robot header stops here.
fn rate_guard(
    store: &Store,
    rows: Vec<OutboxRow>,
    limit: u32,
    clock: &dyn Clock,
) -> Result<(Vec<OutboxRow>, Held), StoreError> {
    if limit == 0 {
        return Ok((rows, Vec::new()));
    }
    let since = crate::clock::rfc3339(clock.now() - Duration::from_secs(3600));
    let mut counts: HashMap<String, u32> = HashMap::new();
    let (mut to_send, mut held) = (Vec::with_capacity(rows.len()), Vec::new());
    for row in rows {
        let count = match counts.get_mut(&row.recipient) {
            Some(count) => count,
            None => counts.entry(row.recipient.clone()).or_insert(store.sent_to_since(&row.recipient, &since)?),
        };
        if *count >= limit && !row.released {
            let reason = format!(
                "held: {count} notifications to {} in the last hour reached notifications.max_per_address_per_hour; \
                 release with `mailgate outbox retry {}`",
                row.recipient, row.id
            );
            tracing::warn!(outbox_id = row.id, to = %row.recipient, "notification held by the rate guard");
            held.push((row.id, Delivered::Held { reason }));
        } else {
            *count += 1;
            to_send.push(row);
        }
    }
    Ok((to_send, held))
}
