//! The daemon: every configured source polled (or pushed) into the pipeline,
//! then the outbox drained, until shutdown. Shutdown is a parameter so that
//! main passes SIGTERM/SIGINT and tests pass whatever they like; it is only
//! looked at between mails, so a mail taken is always committed and
//! acknowledged before the daemon stops.

use std::future::Future;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Config, SourceConfig, TransportConfig};
use crate::notify::sender::{DrainReport, RetryPolicy, drain};
use crate::notify::transport::{AnyTransport, FileTransport, TransportError};
use crate::pipeline::{Pipeline, PipelineError, Processed};
use crate::source::maildir::MaildirSource;
use crate::source::{Source, SourceError};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// What one pass over the sources did, for `run --once` and the demo.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub recorded: Vec<(String, String, crate::store::Applied)>,
    pub already_recorded: usize,
    pub failed: usize,
    pub outbox: DrainReport,
}

pub struct Daemon {
    config: Arc<Config>,
    pipeline: Pipeline,
    sources: Vec<MaildirSource>,
    outbox_store: Store,
    transport: AnyTransport,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl Daemon {
    pub fn new(config: Arc<Config>, clock: Arc<dyn Clock>) -> Result<Daemon, DaemonError> {
        let store = Store::open(&config.database_path)?;
        let outbox_store = Store::open(&config.database_path)?;
        let pipeline = Pipeline::new(store, config.clone(), clock.clone())?;
        let mut sources = Vec::new();
        for s in &config.sources {
            match s {
                SourceConfig::Maildir { name, path, .. } => {
                    sources.push(MaildirSource::open(name, path)?);
                }
            }
        }
        let transport = match &config.notifications.transport {
            TransportConfig::File { dir } => AnyTransport::File(FileTransport::new(dir)?),
        };
        Ok(Daemon { config, pipeline, sources, outbox_store, transport, clock, retry: RetryPolicy::default() })
    }

    /// Takes everything waiting in every source, then sends what is due.
    pub async fn pass(&mut self) -> Result<PassReport, DaemonError> {
        let mut report = PassReport::default();
        for source in &mut self.sources {
            loop {
                let batch = source.fetch().await?;
                if batch.is_empty() {
                    break;
                }
                let mut handled = Vec::new();
                for raw in batch {
                    match self.pipeline.process(source.name(), &raw.key, &raw.bytes) {
                        Ok(Processed::Recorded(applied)) => {
                            handled.push((raw.key.clone(), applied.outcome));
                            report.recorded.push((source.name().to_string(), raw.key, applied));
                        }
                        Ok(Processed::AlreadyRecorded) => {
                            handled.push((raw.key, crate::intake::Outcome::Duplicate));
                            report.already_recorded += 1;
                        }
                        // Nothing was written: the mail stays in the source
                        // and the ones behind it still get their turn.
                        Err(e) => {
                            tracing::error!(source = source.name(), key = %raw.key, error = %e, "message left in the source for a retry");
                            report.failed += 1;
                        }
                    }
                }
                // One fsync for the batch, then the acknowledgments: a mail
                // leaves its mailbox only once its record is on disk.
                self.pipeline.make_durable()?;
                for (key, outcome) in &handled {
                    source.ack(key, *outcome).await?;
                }
                let progressed = !handled.is_empty();
                if !progressed {
                    break;
                }
            }
        }
        report.outbox = self.drain_outbox().await?;
        Ok(report)
    }

    pub async fn drain_outbox(&mut self) -> Result<DrainReport, DaemonError> {
        let notifier = self.pipeline.notifier();
        Ok(drain(
            &mut self.outbox_store,
            &self.transport,
            &notifier,
            &self.config.notifications.from,
            &self.retry,
            self.clock.as_ref(),
        )
        .await?)
    }

    /// Runs passes until `shutdown` completes; a failed pass is logged and
    /// retried at the next wake-up rather than ending the daemon.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
        tokio::pin!(shutdown);
        let poll = self
            .config
            .sources
            .iter()
            .map(|s| match s {
                SourceConfig::Maildir { poll_seconds, .. } => *poll_seconds,
            })
            .min()
            .unwrap_or(5);
        tracing::info!(sources = self.sources.len(), "mailgate running");
        loop {
            if let Err(e) = self.pass().await {
                tracing::error!(error = %e, "pass failed; retrying at the next wake-up");
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(std::time::Duration::from_secs(poll)) => {}
            }
        }
        tracing::info!("mailgate stopped");
        Ok(())
    }

    pub fn pipeline_mut(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }
}
