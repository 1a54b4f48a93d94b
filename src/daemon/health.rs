//! What the running daemon knows about itself and the store does not: each
//! source's connection state and last good poll, whether every source has
//! started (for READY=1), and how long mails take to record. Shared by the
//! source tasks, the writer thread, the status line and the HTTP endpoints.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::Notify;

/// One source as the daemon sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceHealth {
    /// The last pass worked; false while retrying.
    pub up: bool,
    /// Why it is down, in the operator's words.
    pub error: Option<String>,
    pub last_success: Option<SystemTime>,
    /// It has connected or failed at least once since start.
    pub started: bool,
}

pub struct Health {
    sources: Mutex<BTreeMap<String, SourceHealth>>,
    started: Notify,
    /// Seconds to record one mail (parse, decide, write), in the writer.
    pub latency: Histogram,
}

impl Health {
    pub fn new(sources: impl IntoIterator<Item = String>) -> Health {
        Health {
            sources: Mutex::new(sources.into_iter().map(|name| (name, SourceHealth::default())).collect()),
            started: Notify::new(),
            // 1 ms to about 4 s: a mail with large attachments is the slow end.
            latency: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 13)),
        }
    }

    pub fn source_ok(&self, name: &str) {
        self.update(name, |s| {
            s.up = true;
            s.error = None;
            s.last_success = Some(SystemTime::now());
        });
    }

    pub fn source_failing(&self, name: &str, error: String) {
        self.update(name, |s| {
            s.up = false;
            s.error = Some(error);
        });
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut SourceHealth)) {
        let all_started = {
            let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
            let source = sources.entry(name.to_string()).or_default();
            change(source);
            source.started = true;
            sources.values().all(|s| s.started)
        };
        if all_started {
            self.started.notify_waiters();
        }
    }

    pub fn sources(&self) -> BTreeMap<String, SourceHealth> {
        self.sources.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Returns once every source has connected or started retrying, or
    /// after `limit`, whichever comes first; true if they all did.
    pub async fn all_started(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.started.notified();
                if self.sources().values().all(|s| s.started) {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    /// Why the daemon is not healthy, if it is not: the sources that are down.
    pub fn problems(&self) -> Vec<String> {
        self.sources()
            .into_iter()
            .filter(|(_, s)| s.started && !s.up)
            .map(|(name, s)| {
                let error = s.error.unwrap_or_else(|| "down".into());
                // Source errors already name their source.
                if error.starts_with(&format!("source {name}:")) { error } else { format!("source {name}: {error}") }
            })
            .collect()
    }
}
