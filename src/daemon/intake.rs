//! One task per source: take every waiting mail, record it, make the batch
//! durable, acknowledge it, with the next batch fetched and read while the
//! writer works; then wait for the next push or poll. Failures
//! are retried with capped exponential backoff and jitter, and logged once
//! per incident rather than once per attempt.

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

use super::health::Health;
use super::writer::{Writer, WriterError};
use crate::intake::Outcome;
use crate::pipeline::{PipelineError, Processed, Read};
use crate::source::{RawMessage, Source, SourceError};

/// What one source did, for `run --once` and the demo.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SourceReport {
    pub recorded: Vec<(String, crate::desk::Applied)>,
    pub already_recorded: usize,
    pub left_for_retry: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Writer(#[from] WriterError),
}

/// Takes every mail waiting in `source`, batch by batch, one batch ahead:
/// while the writer records batch k and makes it durable, batch k+1 is
/// fetched and read (parsed on the blocking pool), so the network, the
/// parser and the disk work at the same time. At most two batches are in
/// memory (the one being recorded, the one ahead), each within the source's
/// `batch_size` and `batch_bytes`; the writer's pace holds the fetching
/// back. Batch k is acknowledged once durable, before batch k+1 is handed
/// over: nothing is acknowledged before it is on disk, and in order.
///
/// Shutdown cancels a wait on the source's server (connecting, fetching,
/// acknowledging) at once, but never the writer's work: a batch handed over
/// is recorded and made durable before the pass ends, and acknowledged
/// unless the server is stuck, in which case the next start finds it
/// recorded and only acknowledges it. The batch ahead is dropped
/// unacknowledged, and fetched again by the next pass.
pub async fn pass<S: Source>(
    source: &mut S,
    writer: &Writer,
    report: &mut SourceReport,
    shutdown: &CancellationToken,
) -> Result<(), PassError> {
    source.rewind();
    let name = source.name().to_string();
    let Some(mut batch) = fetch_and_read(source, writer, shutdown).await? else { return Ok(()) };
    loop {
        let keys: Vec<String> = batch.iter().map(|(m, _)| m.key.clone()).collect();
        let (recorded, ahead) =
            tokio::join!(writer.record_durably(&name, batch), fetch_and_read(source, writer, shutdown));
        let handled = settle(&name, keys, recorded?, report);
        // A fetch that failed lost its session: what is durable is
        // acknowledged by the next pass, which finds it recorded.
        let ahead = ahead?;
        if handled.is_empty() {
            // Nothing of this batch could be recorded: try again next pass
            // rather than hammer a failing store.
            return Ok(());
        }
        crate::fault::point("kill-before-ack");
        // The acknowledgment goes first; shutdown only cuts a stuck one.
        tokio::select! {
            biased;
            acked = source.ack(&handled) => acked?,
            _ = shutdown.cancelled() => return Ok(()),
        }
        match ahead {
            Some(next) => batch = next,
            None => return Ok(()),
        }
    }
}

/// The next batch of `source`, read: None when none waits or on shutdown.
async fn fetch_and_read<S: Source>(
    source: &mut S,
    writer: &Writer,
    shutdown: &CancellationToken,
) -> Result<Option<Vec<(RawMessage, Read)>>, SourceError> {
    let batch = tokio::select! {
        biased;
        _ = shutdown.cancelled() => return Ok(None),
        batch = source.fetch() => batch?,
    };
    if batch.is_empty() {
        return Ok(None);
    }
    Ok(Some(writer.read_all(batch).await))
}

/// Counts the results of a durable batch into `report`; returns what to
/// acknowledge, in order.
fn settle(
    source: &str,
    keys: Vec<String>,
    results: Vec<Result<Processed, PipelineError>>,
    report: &mut SourceReport,
) -> Vec<(String, Outcome)> {
    let mut handled = Vec::with_capacity(keys.len());
    for (key, result) in keys.into_iter().zip(results) {
        match result {
            Ok(Processed::Recorded(applied)) => {
                handled.push((key.clone(), applied.outcome));
                report.recorded.push((key, applied));
            }
            // Filed by what it was recorded as: a refused mail goes to the
            // refused folder even when only its ack was lost.
            Ok(Processed::AlreadyRecorded(outcome)) => {
                handled.push((key, outcome));
                report.already_recorded += 1;
            }
            // Nothing was written: the mail stays in the source (in flight
            // until the next pass) and the ones behind it get their turn.
            Err(e) => {
                tracing::error!(source, key = %key, error = %e, "message left in the source for a retry");
                report.left_for_retry += 1;
            }
        }
    }
    handled
}

/// Runs `source` until `shutdown`: passes, then waits for new mail. Each
/// pass's result goes to `health` (for READY=1, /healthz and the metrics).
pub async fn run<S: Source>(mut source: S, writer: Writer, health: Arc<Health>, shutdown: CancellationToken) {
    let mut incident: Option<&'static str> = None;
    let mut backoff = retry_delays();
    loop {
        let mut report = SourceReport::default();
        let outcome = pass(&mut source, &writer, &mut report, &shutdown).await;
        if outcome.is_ok() {
            health.source_ok(source.name());
        }
        let outcome = match outcome {
            Ok(()) => tokio::select! {
                _ = shutdown.cancelled() => return,
                r = source.wait() => r.map_err(PassError::from),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                if let Some(kind) = incident.take() {
                    tracing::info!(source = source.name(), incident = kind, "source recovered");
                }
                backoff = retry_delays();
            }
            Err(PassError::Writer(WriterError::Stopped)) => return,
            Err(e) => {
                health.source_failing(source.name(), e.to_string());
                let kind = match &e {
                    PassError::Source(s) => s.incident(),
                    PassError::Writer(_) => "store",
                };
                if incident != Some(kind) {
                    tracing::error!(source = source.name(), error = %e, "source failing; retrying with backoff");
                    incident = Some(kind);
                } else {
                    tracing::debug!(source = source.name(), error = %e, "still failing");
                }
                let delay = backoff.next().unwrap_or(Duration::from_secs(300));
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

/// 1 s, 2 s, 4 s… up to 5 minutes, with jitter so that several sources do
/// not hammer a restarted server in step.
fn retry_delays() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(300))
        .with_jitter()
        .without_max_times()
        .build()
}
