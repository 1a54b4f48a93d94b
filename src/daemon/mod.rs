//! The daemon: one task per source feeding the single writer thread, and
//! an outbox task that sends what the writer queued. Shutdown is a
//! parameter: main passes SIGTERM/SIGINT, tests pass what they like. On
//! shutdown, a source waiting on its server (connecting, fetching, IDLE) is
//! cancelled at once; a batch already handed to the writer is recorded and
//! made durable, and acknowledged unless the server is stuck (then the next
//! start only acknowledges it). The outbox gets a bounded grace period to
//! send what is due, and the writer drains its queue before the process
//! exits.

mod dry_run;
mod health;
pub(crate) mod http;
mod intake;
mod outbox;
mod reload;
mod service;
mod timers;
mod web_desk;
mod web_staff;
mod writer;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use dry_run::{Verdict, dry_run};
pub use health::{Health, HealthPolicy, SourceHealth};
pub use intake::{PassError, SourceReport};
pub use writer::{DeskHandle, Writer, WriterError};

use crate::clock::Clock;
use crate::config::{Config, MetricsConfig, TransportConfig};
use crate::notify::Notifier;
use crate::notify::sender::{DrainReport, SendPolicy};
use crate::notify::smtp::SmtpTransport;
use crate::notify::transport::{AnyTransport, FileTransport, TransportError};
use crate::pipeline::{Pipeline, PipelineError};
use crate::source::SourceError;
use crate::source::any::AnySource;
use crate::store::{Store, StoreError};

/// How long the outbox may keep sending after a shutdown request; below
/// systemd's default stop timeout of 90 s.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Pass(#[from] PassError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("{0}")]
    Listen(#[from] std::io::Error),
    #[error(transparent)]
    Writer(#[from] WriterError),
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
}

/// What one pass over every source did, for `run --once` and the demo.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub sources: Vec<(String, SourceReport)>,
    pub outbox: DrainReport,
    /// Tickets closed because their solution had no answer in time.
    pub closed: Vec<crate::ticket::TicketId>,
    /// Daily digests queued (and sent with the outbox) by this pass.
    pub digests: usize,
    /// Sources whose pass failed; the others still ran.
    pub failed: Vec<SourceFailure>,
}

/// A source whose pass failed in `run --once`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFailure {
    pub source: String,
    /// The error, naming the source and what to check.
    pub error: String,
    /// Trying again later may work (unreachable, stalled): exit 75.
    pub temporary: bool,
}

impl PassReport {
    pub fn recorded(&self) -> usize {
        self.sources.iter().map(|(_, r)| r.recorded.len()).sum()
    }
    pub fn already_recorded(&self) -> usize {
        self.sources.iter().map(|(_, r)| r.already_recorded).sum()
    }
    pub fn left_for_retry(&self) -> usize {
        self.sources.iter().map(|(_, r)| r.left_for_retry).sum()
    }
}

pub struct Daemon {
    config: Arc<Config>,
    writer: Writer,
    writer_thread: std::thread::JoinHandle<()>,
    committed: Arc<Notify>,
    outbox: outbox::Outbox,
    health: Arc<Health>,
    /// The templates the outbox renders HTML with; replaced on SIGHUP.
    notifier: watch::Sender<Arc<Notifier>>,
}

impl Daemon {
    /// Opens the store (migrating it), loads the templates and starts the
    /// writer thread. Sources connect when they run.
    pub fn new(config: Arc<Config>, clock: Arc<dyn Clock>) -> Result<Daemon, DaemonError> {
        let pipeline = Pipeline::new(Store::open(&config.database_path)?, config.clone(), clock.clone())?;
        let notifier: Arc<Notifier> = pipeline.notifier();
        let committed = Arc::new(Notify::new());
        let health = Arc::new(Health::new(config.sources.iter().map(|s| s.name().to_string()), health_policy(&config)));
        let (writer, writer_thread) = Writer::start(pipeline, committed.clone(), health.clone());
        let (notifier_tx, notifier_rx) = watch::channel(notifier);
        let (transport, concurrency) = match &config.notifications.transport {
            TransportConfig::File { dir } => (AnyTransport::File(FileTransport::new(dir)?), 1),
            TransportConfig::Smtp(smtp) => (
                AnyTransport::Smtp(Box::new(SmtpTransport::new(smtp, &config.notifications.message_id_domain())?)),
                smtp.pool_size as usize,
            ),
        };
        let outbox = outbox::Outbox {
            store: Store::open(&config.database_path)?,
            transport,
            notifier: notifier_rx,
            from: config.notifications.from.clone(),
            policy: SendPolicy {
                retry: config.notifications.retry.into(),
                max_per_address_per_hour: config.notifications.max_per_address_per_hour,
                concurrency,
            },
            clock: clock.clone(),
        };
        Ok(Daemon { config, writer, writer_thread, committed, outbox, health, notifier: notifier_tx })
    }

    /// The web pages' way into the life cycle, through the writer thread.
    pub fn desk(&self) -> DeskHandle {
        self.writer.desk()
    }

    /// A handle to the writer, for `ingest`.
    pub fn writer(&self) -> Writer {
        self.writer.clone()
    }

    /// Takes everything waiting in every source, then sends what is due. A
    /// source that fails (unreachable, stalled past its timeout, login
    /// refused) is reported in `failed`; the other sources and the outbox
    /// still run.
    pub async fn once(&mut self) -> Result<PassReport, DaemonError> {
        let started = std::time::Instant::now();
        let written_before = disk_writes();
        let never = CancellationToken::new();
        let mut report = PassReport::default();
        for source in &self.config.sources {
            let mut r = SourceReport::default();
            let mut s = self.open_source(source)?;
            match intake::pass(&mut s, &self.writer, &mut r, &never).await {
                Ok(()) => s.close().await,
                Err(PassError::Source(e)) => {
                    tracing::error!(source = source.name(), error = %e, "source failed; its mail waits for the next pass");
                    report.failed.push(SourceFailure {
                        source: source.name().to_string(),
                        error: e.to_string(),
                        temporary: e.is_temporary(),
                    });
                }
                Err(e) => return Err(e.into()),
            }
            report.sources.push((source.name().to_string(), r));
        }
        report.closed = self.writer.close_unanswered_solutions().await?;
        report.digests = self.writer.queue_digests().await?.len();
        let intake_time = started.elapsed();
        let written_by_intake = disk_writes();
        report.outbox = self.drain_outbox().await?;
        let written_by_all = disk_writes();
        let since = |from: Option<u64>, to: Option<u64>| Some(to?.saturating_sub(from?));
        tracing::info!(
            recorded = report.recorded(),
            intake_ms = intake_time.as_millis() as u64,
            intake_written_bytes = since(written_before, written_by_intake),
            notifications = report.outbox.sent,
            outbox_ms = (started.elapsed() - intake_time).as_millis() as u64,
            outbox_written_bytes = since(written_by_intake, written_by_all),
            "pass done"
        );
        Ok(report)
    }

    pub async fn drain_outbox(&mut self) -> Result<DrainReport, DaemonError> {
        Ok(self.outbox.drain().await?)
    }

    fn open_source(&self, source: &crate::config::SourceConfig) -> Result<AnySource, SourceError> {
        AnySource::open(source, self.config.limits.max_message_bytes, Some(&self.config.database_path))
    }

    /// What the daemon knows of its sources and latency (for tests and tools).
    pub fn health(&self) -> Arc<Health> {
        self.health.clone()
    }

    /// Runs every source and the outbox until `shutdown` completes; each
    /// message on `reloads` re-reads the configuration file (SIGHUP).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()>,
        mut reloads: mpsc::Receiver<()>,
    ) -> Result<(), DaemonError> {
        let Daemon { config, writer, writer_thread, committed, outbox, health, notifier } = self;
        let stop = CancellationToken::new();
        let tasks = TaskTracker::new();
        for source in &config.sources {
            let s = AnySource::open(source, config.limits.max_message_bytes, Some(&config.database_path))?;
            tasks.spawn(intake::run(s, writer.clone(), health.clone(), stop.clone()));
        }
        let outbox_stop = CancellationToken::new();
        let outbox_task = tokio::spawn(outbox.run(committed, outbox_stop.clone()));
        let listener = match &config.metrics {
            Some(m) => Some(http::serve(m.listen, config.database_path.clone(), health.clone(), stop.clone()).await?),
            None => None,
        };
        // The requester's pages, on a listener of their own (see crate::web);
        // their actions go to the one writer, like mail.
        // Kept to hand each reload's configuration to the running pages.
        let mut web_state = None;
        let pages = match &config.web {
            Some(web) => {
                let state = crate::web::WebState::new(config.clone(), Arc::new(writer.desk()), Some(health.clone()))?;
                web_state = Some(state.clone());
                Some(crate::web::serve(web.listen, state, stop.clone()).await?)
            }
            None => None,
        };
        let timers = tokio::spawn(timers::run(writer.clone(), stop.clone()));
        let supervisor = tokio::spawn(service::supervise(
            writer.clone(),
            health.clone(),
            config.database_path.clone(),
            stop.clone(),
        ));
        tracing::info!(sources = config.sources.len(), "mailgate running");

        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                Some(()) = reloads.recv() => reload::apply(&config, &writer, &notifier, web_state.as_deref()).await,
            }
        }
        tracing::info!("stopping: no new mail is taken; finishing the batches in hand");
        stop.cancel();
        let _ = supervisor.await;
        let _ = timers.await;
        tasks.close();
        tasks.wait().await;
        drop(writer);
        // The writer ends once every sender is gone and its queue is empty.
        let _ = tokio::task::spawn_blocking(move || writer_thread.join()).await;
        outbox_stop.cancel();
        match tokio::time::timeout(SHUTDOWN_GRACE, outbox_task).await {
            Ok(_) => {}
            Err(_) => tracing::warn!(
                "the outbox did not finish within the grace period; what is left is sent at the next start"
            ),
        }
        for listener in [listener, pages].into_iter().flatten() {
            let _ = listener.await;
        }
        tracing::info!("mailgate stopped");
        Ok(())
    }
}

/// The /healthz thresholds: from `[metrics]`, or the defaults (they still
/// shape the status line without a listener).
fn health_policy(config: &Config) -> HealthPolicy {
    let (grace, after) = match &config.metrics {
        Some(m) => (m.start_grace_seconds, m.unhealthy_after_seconds),
        None => (MetricsConfig::DEFAULT_START_GRACE_SECONDS, MetricsConfig::DEFAULT_UNHEALTHY_AFTER_SECONDS),
    };
    HealthPolicy { start_grace: Duration::from_secs(grace), unhealthy_after: Duration::from_secs(after) }
}

/// What this process has caused to be written to disk so far (Linux's
/// `/proc/self/io`: `write_bytes` less `cancelled_write_bytes`), for the
/// pass report of `run --once`; None where the kernel does not say.
fn disk_writes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| -> Option<u64> {
        io.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok())
    };
    Some(field("write_bytes")?.saturating_sub(field("cancelled_write_bytes").unwrap_or(0)))
}
