//! What the running daemon knows about itself and the store does not: each
//! source's connection state and last good poll, whether every source has
//! started (for READY=1), and how long mails take to record. Shared by the
//! source tasks, the writer thread, the status line and the HTTP endpoints.
//!
//! A source is unhealthy when it has never worked since the start (it
//! failed, or is still connecting after a short grace), or when it worked
//! before and has been failing for longer than a threshold: one server
//! restart ridden out by the retry loop is not an incident.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

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
    /// When the current run of failures began; None while it works.
    pub failing_since: Option<Instant>,
}

/// When a source counts as unhealthy.
#[derive(Debug, Clone, Copy)]
pub struct HealthPolicy {
    /// A source still connecting for the first time is given this long.
    pub start_grace: Duration,
    /// A source that worked before may fail this long before it counts.
    pub unhealthy_after: Duration,
}

pub struct Health {
    sources: Mutex<BTreeMap<String, SourceHealth>>,
    started: Notify,
    started_at: Instant,
    policy: HealthPolicy,
    /// Seconds to record one mail (parse, decide, write), in the writer.
    pub latency: Histogram,
}

impl Health {
    pub fn new(sources: impl IntoIterator<Item = String>, policy: HealthPolicy) -> Health {
        Health {
            sources: Mutex::new(sources.into_iter().map(|name| (name, SourceHealth::default())).collect()),
            started: Notify::new(),
            started_at: Instant::now(),
            policy,
            // 1 ms to about 4 s: a mail with large attachments is the slow end.
            latency: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 13)),
        }
    }

    pub fn source_ok(&self, name: &str) {
        self.update(name, |s| {
            s.up = true;
            s.error = None;
            s.failing_since = None;
            s.last_success = Some(SystemTime::now());
        });
    }

    pub fn source_failing(&self, name: &str, error: String) {
        self.update(name, |s| {
            s.up = false;
            s.error = Some(error);
            s.failing_since.get_or_insert_with(Instant::now);
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

    /// Why the daemon is not healthy, if it is not: one line per source
    /// that never worked, or has been failing past the threshold.
    pub fn problems(&self) -> Vec<String> {
        let since_start = self.started_at.elapsed();
        self.sources()
            .into_iter()
            .filter_map(|(name, s)| {
                let failing_for = s.failing_since.map(|t| t.elapsed());
                let problem = match (&s.error, s.last_success, failing_for) {
                    (Some(error), None, _) => error.clone(),
                    (Some(error), Some(_), Some(d)) if d >= self.policy.unhealthy_after => {
                        format!("failing for {} s: {error}", d.as_secs())
                    }
                    (None, None, _) if since_start >= self.policy.start_grace => {
                        format!("has not connected yet, {} s after start; still trying", since_start.as_secs())
                    }
                    _ => return None,
                };
                // Source errors already name their source.
                let named = format!("source {name}:");
                Some(if problem.contains(&named) { problem } else { format!("{named} {problem}") })
            })
            .collect()
    }

    /// Every source error of the moment, threshold or not: the status line
    /// systemd shows is where an operator looks first.
    pub fn current_errors(&self) -> Vec<String> {
        self.sources().into_values().filter_map(|s| s.error).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(grace: u64, after: u64) -> Health {
        let policy =
            HealthPolicy { start_grace: Duration::from_secs(grace), unhealthy_after: Duration::from_secs(after) };
        Health::new(["imap".to_string()], policy)
    }

    #[test]
    fn a_source_still_connecting_is_healthy_during_the_grace_then_named() {
        assert!(health(3600, 300).problems().is_empty());
        let problems = health(0, 300).problems();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("source imap: has not connected yet"), "{problems:?}");
    }

    #[test]
    fn a_source_that_never_worked_is_unhealthy_at_its_first_failure() {
        let h = health(3600, 3600);
        h.source_failing("imap", "source imap: cannot connect to 127.0.0.1:1: refused".into());
        assert_eq!(h.problems(), ["source imap: cannot connect to 127.0.0.1:1: refused"]);
    }

    #[test]
    fn a_source_that_worked_is_unhealthy_only_after_failing_past_the_threshold() {
        let h = health(0, 3600);
        h.source_ok("imap");
        h.source_failing("imap", "no answer".into());
        assert!(h.problems().is_empty(), "a short outage is ridden out");
        assert_eq!(h.current_errors(), ["no answer"], "but the status line shows it");
        let h = health(0, 0);
        h.source_ok("imap");
        h.source_failing("imap", "no answer".into());
        let problems = h.problems();
        assert!(problems[0].starts_with("source imap: failing for 0 s: no answer"), "{problems:?}");
        h.source_ok("imap");
        assert!(h.problems().is_empty(), "recovered");
    }
}
