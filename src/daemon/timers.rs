//! The daemon's clock-driven work: once a minute, the writer closes the
//! tickets whose solution waited `tickets.auto_close_days` for an answer,
//! and queues the day's digest of open tickets once `notifications.digest_at`
//! has passed (the store's record makes that once a day). Both go through
//! the writer like a mail, so they never compete with intake for the
//! database.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Writer;

/// How often the timer looks. A ticket closes, and a digest goes, at most
/// this late.
const PERIOD: Duration = Duration::from_secs(60);

pub async fn run(writer: Writer, stop: CancellationToken) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = writer.close_unanswered_solutions().await {
            tracing::warn!(error = %e, "could not close the tickets whose solution had no answer; retrying in a minute");
        }
        if let Err(e) = writer.queue_digests().await {
            tracing::warn!(error = %e, "could not queue the daily digests; retrying in a minute");
        }
    }
}
