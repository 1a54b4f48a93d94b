//! The outbox sender: claims due rows, sends them through the transport a
//! few at a time, and records each result. Temporary failures are retried with
//! capped exponential backoff and jitter; permanent ones, or too many
//! attempts, mark the row failed with the error kept for the operator.
//!
//! Each claimed row is leased for as long as its turn and its send can take
//! (see `store::Store::claim_due`); a row whose lease could no longer cover
//! a send is given back untried rather than risk a second sender taking it
//! mid-send. A row claimed more often than `max_attempts` without any
//! result recorded (its senders died on it each time) is marked failed, so
//! it cannot be the first row of every later drain forever.

use std::collections::HashMap;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::StreamExt;
use lettre::message::Mailbox;

use super::Notifier;
use super::transport::Transport;
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

/// Rows claimed together at most: one transaction to claim a batch.
const BATCH: usize = 100;

/// A claim takes enough rows for this many sends on each connection: the
/// last rows of a claim are leased for that many sends, and a killed
/// sender's rows wait out their lease; more rows per claim would make the
/// last ones wait long.
const ROUNDS: usize = 4;

/// Added to each row's lease: a send may start this much later than the
/// worst case foreseen at the claim (minus the second leases are rounded
/// to) and still be covered.
const LEASE_SLACK: Duration = Duration::from_secs(5);

/// Results known within this long of each other are recorded in one
/// transaction. Each transaction rewrites whole pages of the outbox and its
/// indexes: recording a fast transport's sends one by one was most of what
/// the database wrote per mail (bench/growth). A crash loses at most this
/// long's records, and those notifications are sent again with their
/// Message-ID, as a crash between a send and its record always did.
const RECORD_WITHIN: Duration = Duration::from_millis(100);

/// Sends every row due now and returns when none is due. Rows are claimed
/// by batch, sent `concurrency` at a time, and each result is recorded
/// within [`RECORD_WITHIN`] of being known, so a crash resends at most the
/// messages in flight or sent in that last moment.
pub async fn drain<T: Transport>(
    store: &mut Store,
    transport: &T,
    notifier: &Notifier,
    from: &Mailbox,
    policy: &SendPolicy,
    clock: &dyn Clock,
) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport::default();
    let concurrency = policy.concurrency.max(1);
    let per_send = transport.lease();
    let batch = (concurrency * ROUNDS).min(BATCH);
    let files = &store.file_reader();
    // The last results of a claim, recorded in the transaction of the next.
    let mut unrecorded: Option<(String, Vec<(i64, Delivered)>)> = None;
    loop {
        let claimed_at = clock.now();
        // The k-th row waits for at most k / concurrency sends before its
        // own; the slack lets a send start a little late and still fit.
        let turn = |k: usize| per_send * u32::try_from(k / concurrency + 1).unwrap_or(u32::MAX) + LEASE_SLACK;
        let earlier = unrecorded.take();
        let claimed = store.record_then_claim(
            earlier.as_ref().map(|(token, known)| (token.as_str(), known.as_slice())),
            &crate::clock::rfc3339(claimed_at),
            batch,
            |k| crate::clock::rfc3339(claimed_at + turn(k)),
        );
        let (recorded, (token, rows)) = match claimed {
            Ok(claimed) => claimed,
            Err(e) => {
                // The results are still worth keeping on their own: lost,
                // their rows would be sent again once their leases ran out.
                if let Some((token, mut known)) = earlier {
                    let _ = record(store, &token, &mut known);
                }
                return Err(e);
            }
        };
        if let Some((_, known)) = &earlier {
            warn_if_lost(known.len(), recorded);
        }
        if rows.is_empty() {
            return Ok(report);
        }
        let (rows, abandoned) = abandoned(rows, policy.retry.max_attempts);
        report.failed += abandoned.len();
        let (to_send, held) =
            rate_guard(store, rows, policy.max_per_address_per_hour, clock, |a| notifier.is_staff(a))?;
        report.held += held.len();
        store.record_deliveries(&token, &[held, abandoned].concat())?;

        let mut results = futures::stream::iter(to_send.into_iter().enumerate())
            .map(|(k, row)| async move {
                // Stored leases are to the second, rounded down.
                let deadline = claimed_at + turn(k) - Duration::from_secs(1);
                if clock.now() + per_send > deadline {
                    return (row, None);
                }
                let row = notifier.personalised(row);
                let result = match super::transport::with_files(&row, files, notifier.html(&row), from) {
                    Ok(message) => transport.send(message).await,
                    Err(e) => Err(e),
                };
                (row, Some(result))
            })
            .buffer_unordered(concurrency)
            .ready_chunks(BATCH);
        // Results known within RECORD_WITHIN of the first not yet recorded
        // are recorded together.
        let mut known: Vec<(i64, Delivered)> = Vec::new();
        let mut first_known: Option<tokio::time::Instant> = None;
        loop {
            let next = match first_known {
                None => results.next().await,
                Some(at) => match tokio::time::timeout_at(at + RECORD_WITHIN, results.next()).await {
                    Ok(next) => next,
                    Err(_elapsed) => {
                        record(store, &token, &mut known)?;
                        first_known = None;
                        continue;
                    }
                },
            };
            let Some(chunk) = next else { break };
            known.extend(chunk.into_iter().map(|(row, result)| {
                let delivered = match result {
                    Some(result) => outcome(&row, result, policy, clock, &mut report),
                    None => Delivered::NotTried,
                };
                (row.id, delivered)
            }));
            first_known.get_or_insert_with(tokio::time::Instant::now);
        }
        unrecorded = Some((token, known));
    }
}

/// Records (and empties) `known`, the results of rows claimed under `token`.
fn record(store: &mut Store, token: &str, known: &mut Vec<(i64, Delivered)>) -> Result<(), StoreError> {
    if known.is_empty() {
        return Ok(());
    }
    let recorded = store.record_deliveries(token, known)?;
    warn_if_lost(known.len(), recorded);
    known.clear();
    Ok(())
}

fn warn_if_lost(results: usize, recorded: usize) {
    if recorded < results {
        tracing::warn!(
            lost = results - recorded,
            "outbox rows whose lease ran out before their result was recorded: \
             another sender took them; raise timeout_seconds if the server is that slow"
        );
    }
}

/// Splits off rows claimed more than `max_attempts` times: a sender died on
/// each (a crash, a kill, a hang) before recording anything.
fn abandoned(rows: Vec<OutboxRow>, max_attempts: i64) -> (Vec<OutboxRow>, Held) {
    let (over, rows): (Vec<OutboxRow>, Vec<OutboxRow>) = rows.into_iter().partition(|r| r.attempts > max_attempts);
    let failed = over
        .into_iter()
        .map(|row| {
            let error = format!(
                "claimed {} times without a result: each sender stopped while sending it (see the log of \
                 mailgate run / ingest around {}); `mailgate outbox retry {}` queues it again",
                row.attempts, row.created_at, row.id
            );
            tracing::error!(outbox_id = row.id, to = %row.recipient, "notification abandoned: {error}");
            (row.id, Delivered::Failed { error })
        })
        .collect();
    (rows, failed)
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
/// a responder that ignores every robot header stops here, as a last guard
/// (the inbound one, `intake::loop_guard`, stops it first). The staff are
/// never held: a technician's busy morning is not a loop, and a held
/// notification is one they miss.
fn rate_guard(
    store: &Store,
    rows: Vec<OutboxRow>,
    limit: u32,
    clock: &dyn Clock,
    is_staff: impl Fn(&str) -> bool,
) -> Result<(Vec<OutboxRow>, Held), StoreError> {
    if limit == 0 {
        return Ok((rows, Vec::new()));
    }
    let since = crate::clock::rfc3339(clock.now() - Duration::from_secs(3600));
    let mut counts: HashMap<String, u32> = HashMap::new();
    let (mut to_send, mut held) = (Vec::with_capacity(rows.len()), Vec::new());
    for row in rows {
        if is_staff(&row.recipient) {
            to_send.push(row);
            continue;
        }
        let count = match counts.get_mut(&row.recipient) {
            Some(count) => count,
            None => counts.entry(row.recipient.clone()).or_insert(store.sent_to_since(&row.recipient, &since)?),
        };
        if *count >= limit && !row.released {
            let reason = format!(
                "held: {count} notifications to {} in the last hour reached notifications.max_per_address_per_hour; \
                 release with `mailgate outbox retry {}` (or all with `mailgate outbox retry --held`)",
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
