//! systemd's side of the daemon (`Type=notify`): READY=1 once the database
//! is migrated and every source has connected or started retrying; then, at
//! half the watchdog interval, WATCHDOG=1 and a one-line STATUS=. The ping
//! goes through the writer thread's queue, so a writer stuck on the disk, or
//! a runtime too wedged to run this task, stops the pings and systemd
//! restarts the service. Without NOTIFY_SOCKET every call is a no-op.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use super::http::start_of_day;
use super::writer::Writer;
use crate::clock::SystemClock;
use crate::store::{OutboxState, Store};

/// How long READY=1 waits for a source that neither connects nor fails
/// (a server that accepts TCP and then says nothing).
const READY_LIMIT: Duration = Duration::from_secs(60);

/// Status line refresh when systemd asked for no watchdog.
const STATUS_EVERY: Duration = Duration::from_secs(10);

fn notify(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "cannot reach systemd's notify socket");
    }
}

pub async fn supervise(writer: Writer, health: Arc<Health>, database: PathBuf, stop: CancellationToken) {
    // A stop asked for during startup must not wait for a silent source.
    tokio::select! {
        _ = stop.cancelled() => {
            notify(&[NotifyState::Stopping]);
            return;
        }
        started = health.all_started(READY_LIMIT) => if !started {
            tracing::warn!(?READY_LIMIT, "a source has neither connected nor failed yet; reporting ready anyway");
        }
    }
    let mut store = Store::open(&database).ok();
    let status = status_line(&health, store.as_ref());
    notify(&[NotifyState::Ready, NotifyState::Status(&status)]);
    tracing::info!(status = %status, "ready");

    let watchdog = sd_notify::watchdog_enabled();
    let every = watchdog.map(|w| w / 2).unwrap_or(STATUS_EVERY);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
        // A writer that does not answer within the interval is hung: say
        // nothing, and let systemd's watchdog do its work.
        let alive = tokio::time::timeout(every, writer.ping()).await.is_ok_and(|r| r.is_ok());
        if store.is_none() {
            store = Store::open(&database).ok();
        }
        let status = status_line(&health, store.as_ref());
        if alive && watchdog.is_some() {
            notify(&[NotifyState::Watchdog, NotifyState::Status(&status)]);
        } else if alive {
            notify(&[NotifyState::Status(&status)]);
        } else {
            tracing::error!("the writer has not answered for {every:?}; withholding the watchdog ping");
        }
    }
    notify(&[NotifyState::Stopping, NotifyState::Status("stopping: finishing the mail in hand")]);
}

/// "idle; 3 tickets today; outbox 0", or the first source problem first;
/// "; 4 held" when the rate guard holds notifications for an operator.
fn status_line(health: &Health, store: Option<&Store>) -> String {
    // A threshold decides /healthz; the status line shows any error at once.
    let state = health.problems().into_iter().chain(health.current_errors()).next().unwrap_or_else(|| "idle".into());
    match store.map(|s| s.counts(&start_of_day(&SystemClock))) {
        Some(Ok(c)) => {
            let held: i64 = c.outbox.iter().filter(|(s, _)| *s == OutboxState::Held).map(|(_, n)| n).sum();
            let held = if held > 0 { format!("; {held} held (mailgate outbox retry --held)") } else { String::new() };
            format!("{state}; {} tickets today; outbox {}{held}", c.tickets_since, c.outbox_depth())
        }
        Some(Err(e)) => format!("{state}; store: {e}"),
        None => format!("{state}; store unavailable"),
    }
}
