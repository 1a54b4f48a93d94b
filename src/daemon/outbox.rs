//! The outbox task: sends what is due, then sleeps until the writer commits
//! new notifications or a retry comes due. On shutdown it makes one last
//! drain, which the daemon bounds with its grace period.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::notify::Notifier;
use crate::notify::sender::{DrainReport, SendPolicy, drain};
use crate::notify::transport::AnyTransport;
use crate::store::{Store, StoreError};

/// How often due retries are looked for when nothing wakes the task.
const RETRY_CHECK: Duration = Duration::from_secs(15);

pub(super) struct Outbox {
    pub store: Store,
    pub transport: AnyTransport,
    pub notifier: watch::Receiver<Arc<Notifier>>,
    pub from: lettre::message::Mailbox,
    pub policy: SendPolicy,
    pub clock: Arc<dyn Clock>,
}

impl Outbox {
    pub async fn drain(&mut self) -> Result<DrainReport, StoreError> {
        let notifier = self.notifier.borrow().clone();
        drain(&mut self.store, &self.transport, &notifier, &self.from, &self.policy, self.clock.as_ref()).await
    }

    pub async fn run(mut self, committed: Arc<Notify>, stop: CancellationToken) {
        loop {
            if let Err(e) = self.drain().await {
                tracing::error!(error = %e, "outbox drain failed; retrying");
            }
            if stop.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = committed.notified() => {}
                _ = tokio::time::sleep(RETRY_CHECK) => {}
            }
        }
    }
}
