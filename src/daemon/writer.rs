//! The single writer. SQLite takes one writer at a time, so one thread owns
//! the [`Pipeline`] and every source hands it mails through a bounded
//! channel: sources run concurrently on the network, mails are recorded one
//! transaction after another, and a slow disk pushes back on the sources
//! instead of piling mails up in memory.
//!
//! The writer only decides and applies. Reading a mail (parsing, HTML to
//! text), whose cost depends on what a stranger sent, happens before the
//! hand-over, on the blocking pool, a few mails in parallel, each under
//! `limits.max_read_seconds`: a mail past it is recorded as refused and the
//! batch goes on. The thread answers the watchdog's ping between mails, not
//! only between batches, so no mail content can withhold it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::health::Health;
use crate::config::Config;
use crate::desk::QueuedDigest;
use crate::desk::{Act, Acted};
use crate::intake::Intake;
use crate::mail::Mailbox;
use crate::notify::Notifier;
use crate::notify::link_mail::LinkKind;
use crate::pipeline::{Pipeline, PipelineError, Processed, Read, read};
use crate::source::RawMessage;
use crate::ticket::TicketId;

type Results = Vec<Result<Processed, PipelineError>>;

enum Job {
    /// A whole fetched batch in one hand-over: one wake-up of the thread
    /// per batch rather than per mail.
    Process {
        source: String,
        mails: Vec<(RawMessage, Read)>,
        reply: oneshot::Sender<Results>,
    },
    MakeDurable {
        reply: oneshot::Sender<Result<(), PipelineError>>,
    },
    /// Answered when the thread gets to it: the watchdog's proof of life.
    Ping {
        reply: oneshot::Sender<()>,
    },
    /// The life-cycle timer: close the tickets whose solution had no answer.
    CloseUnanswered {
        reply: oneshot::Sender<Result<Vec<TicketId>, PipelineError>>,
    },
    /// The digest timer: queue the day's digests once their time has come.
    QueueDigests {
        reply: oneshot::Sender<Result<Vec<QueuedDigest>, PipelineError>>,
    },
    /// An action from another door (the web): applied and made durable.
    Act {
        act: Box<Act>,
        reply: oneshot::Sender<Result<Acted, PipelineError>>,
    },
    /// A notification composed elsewhere (a personal link), queued durably.
    QueueLink {
        link: Box<LinkRequest>,
        reply: oneshot::Sender<Result<i64, PipelineError>>,
    },
    /// A write of the staff pages that is no ticket's life cycle (sign-in
    /// bookkeeping, an operator's replay or retry: see `web_staff`); it
    /// answers through its own channel and says whether to wake the outbox.
    Staff {
        work: Box<dyn FnOnce(&mut Pipeline) -> bool + Send>,
    },
    /// New rules and templates; answers with the new notifier for the outbox.
    Reload {
        config: Arc<Config>,
        reply: oneshot::Sender<Result<Arc<Notifier>, PipelineError>>,
    },
}

/// A handle to the writer thread; cheap to clone, one per source task.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    /// The rules in force, for reading mails before the hand-over; the
    /// thread publishes new ones on reload.
    intake: watch::Receiver<Arc<Intake>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("the writer thread has stopped")]
    Stopped,
}

impl Writer {
    /// Starts the writer thread, with group commit: the mails of a batch
    /// share one transaction, committed by [`Writer::make_durable`].
    /// `committed` is notified after a commit that queued notifications, to
    /// wake the outbox (whose own connection sees only committed rows).
    pub fn start(
        mut pipeline: Pipeline,
        committed: Arc<Notify>,
        health: Arc<Health>,
    ) -> (Writer, std::thread::JoinHandle<()>) {
        let (jobs, mut queue) = mpsc::channel::<Job>(64);
        let (intake_tx, intake) = watch::channel(pipeline.intake());
        pipeline.store_mut().set_group_commit(true);
        let thread = std::thread::Builder::new()
            .name("mailgate-writer".into())
            .spawn(move || {
                let mut notifications_queued = false;
                // Jobs met while answering pings inside a batch, in order.
                let mut deferred: VecDeque<Job> = VecDeque::new();
                while let Some(job) = deferred.pop_front().or_else(|| queue.blocking_recv()) {
                    match job {
                        Job::Process { source, mails, reply } => {
                            let mut results: Results = Vec::with_capacity(mails.len());
                            for (message, read) in mails {
                                let started = Instant::now();
                                results.push(pipeline.apply_read(&source, &message, read));
                                health.latency.observe(started.elapsed().as_secs_f64());
                                answer_pings(&mut queue, &mut deferred);
                            }
                            notifications_queued |=
                                results.iter().any(|r| matches!(r, Ok(Processed::Recorded(a)) if a.notifications > 0));
                            let _ = reply.send(results);
                        }
                        Job::MakeDurable { reply } => {
                            let result = pipeline.make_durable();
                            if result.is_ok() && std::mem::take(&mut notifications_queued) {
                                committed.notify_one();
                            }
                            let _ = reply.send(result);
                            // Idle while the source acknowledges this batch
                            // (the next one is fetched and read meanwhile):
                            // the moment to checkpoint.
                            if deferred.is_empty()
                                && queue.is_empty()
                                && let Err(e) = pipeline.checkpoint()
                            {
                                tracing::warn!(error = %e, "checkpoint failed; SQLite retries at the next one");
                            }
                        }
                        Job::Ping { reply } => {
                            let _ = reply.send(());
                        }
                        Job::CloseUnanswered { reply } => {
                            let result = pipeline.close_unanswered_solutions();
                            if result.as_ref().is_ok_and(|closed| !closed.is_empty()) {
                                committed.notify_one();
                            }
                            let _ = reply.send(result);
                        }
                        Job::QueueDigests { reply } => {
                            let result = pipeline.queue_digests();
                            if result.as_ref().is_ok_and(|queued| !queued.is_empty()) {
                                committed.notify_one();
                            }
                            let _ = reply.send(result);
                        }
                        Job::Act { act, reply } => {
                            let result = pipeline.act(&act);
                            if result.as_ref().is_ok_and(|acted| acted.notifications > 0) {
                                committed.notify_one();
                            }
                            let _ = reply.send(result);
                        }
                        Job::QueueLink { link, reply } => {
                            let result = pipeline.queue_link(&link.to, &link.url, link.kind, &link.valid_for);
                            if result.is_ok() {
                                committed.notify_one();
                            }
                            let _ = reply.send(result);
                        }
                        Job::Staff { work } => {
                            if work(&mut pipeline) {
                                committed.notify_one();
                            }
                        }
                        Job::Reload { config, reply } => {
                            let result = pipeline.reload(config);
                            if result.is_ok() {
                                let _ = intake_tx.send(pipeline.intake());
                            }
                            let _ = reply.send(result);
                        }
                    }
                }
                // Every source has stopped. A batch it left open (a task
                // cancelled mid-batch) was never acknowledged; committing it
                // is safe, as the next pass will only acknowledge those mails.
                if let Err(e) = pipeline.make_durable() {
                    tracing::error!(error = %e, "could not commit the last batch; its mails stay in their sources");
                }
            })
            .expect("the writer thread starts");
        (Writer { jobs, intake }, thread)
    }

    /// Records a batch of mails from `source`, in order; one result per
    /// mail. The batch stays uncommitted until [`Writer::make_durable`].
    pub async fn process_batch(&self, source: &str, mails: Vec<RawMessage>) -> Result<Results, WriterError> {
        let mails = self.read_all(mails).await;
        let (reply, answer) = oneshot::channel();
        let job = Job::Process { source: source.to_string(), mails, reply };
        self.jobs.send(job).await.map_err(|_| WriterError::Stopped)?;
        answer.await.map_err(|_| WriterError::Stopped)
    }

    /// Records a batch already read, then makes it durable (commit and
    /// fsync): one result per mail, every one of them on disk when this
    /// returns `Ok`. The source's task reads its next batch meanwhile.
    pub(super) async fn record_durably(
        &self,
        source: &str,
        mails: Vec<(RawMessage, Read)>,
    ) -> Result<Results, WriterError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Process { source: source.to_string(), mails, reply };
        self.jobs.send(job).await.map_err(|_| WriterError::Stopped)?;
        let results = answer.await.map_err(|_| WriterError::Stopped)?;
        // Even a batch of failures ends its transaction here, so the write
        // lock is never held across the wait for new mail.
        self.make_durable().await?;
        Ok(results)
    }

    /// Reads `mails` on the blocking pool, as many at once as there are
    /// cores, each under the work budget, in their order. A mail over its
    /// budget is left to finish in the background (reading is bounded, so
    /// it does end) and is recorded as refused.
    pub(super) async fn read_all(&self, mails: Vec<RawMessage>) -> Vec<(RawMessage, Read)> {
        let intake = self.intake.borrow().clone();
        let seconds = intake.config().limits.max_read_seconds;
        let budget = Duration::from_secs(seconds);
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        futures::stream::iter(mails)
            .map(|message| {
                let intake = intake.clone();
                async move {
                    let message = Arc::new(message);
                    let reading = tokio::task::spawn_blocking({
                        let message = message.clone();
                        move || read::read(&intake, &message)
                    });
                    let read = match tokio::time::timeout(budget, reading).await {
                        Ok(Ok(read)) => read,
                        Ok(Err(_)) => Read::Refused("internal error while reading this mail; its raw copy is kept".into()),
                        Err(_) => {
                            tracing::warn!(key = %message.key, seconds, "reading a mail went past its budget; recorded as refused");
                            Read::Refused(read::over_budget(seconds))
                        }
                    };
                    (Arc::unwrap_or_clone(message), read)
                }
            })
            .buffered(parallel)
            .collect()
            .await
    }

    /// Returns once the thread has worked through what was queued before:
    /// a hung writer never answers, and the watchdog then stays silent.
    pub async fn ping(&self) -> Result<(), WriterError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Ping { reply }).await.map_err(|_| WriterError::Stopped)?;
        answer.await.map_err(|_| WriterError::Stopped)
    }

    /// Hands the writer a new configuration (SIGHUP).
    pub async fn reload(&self, config: Arc<Config>) -> Result<Arc<Notifier>, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Reload { config, reply }).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }

    /// Closes the tickets whose solution waited too long for an answer.
    pub async fn close_unanswered_solutions(&self) -> Result<Vec<TicketId>, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::CloseUnanswered { reply }).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }

    /// Queues the day's digests when they are due and not yet queued.
    pub async fn queue_digests(&self) -> Result<Vec<QueuedDigest>, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::QueueDigests { reply }).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }

    /// Records one mail; see [`Writer::process_batch`].
    pub async fn process(&self, source: &str, key: String, bytes: Vec<u8>) -> Result<Processed, WriterError> {
        let mut results = self.process_batch(source, vec![RawMessage::new(key, bytes)]).await?;
        Ok(results.pop().ok_or(WriterError::Stopped)??)
    }

    /// A handle for the web pages: their actions and notifications go
    /// through this same thread, one transaction after another with mail.
    pub fn desk(&self) -> DeskHandle {
        DeskHandle { jobs: self.jobs.clone() }
    }

    pub async fn make_durable(&self) -> Result<(), WriterError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::MakeDurable { reply }).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }
}

/// The web's way into the life cycle: cheap to clone, one per handler. Each
/// call is a job of the single writer, applied in one transaction and made
/// durable before it answers.
#[derive(Clone)]
pub struct DeskHandle {
    jobs: mpsc::Sender<Job>,
}

impl DeskHandle {
    /// Applies `act` through the same functions as the matching mail
    /// ([`crate::pipeline::Pipeline::act`]). A refusal (no such ticket, not
    /// allowed, commands not obeyed) is `WriterError::Pipeline(PipelineError::Act(_))`.
    pub async fn act(&self, act: Act) -> Result<Acted, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Act { act: Box::new(act), reply }).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }

    /// Mails a personal link, composed in the writer by the current
    /// notifier; returns its outbox row.
    pub async fn queue_link(&self, link: LinkRequest) -> Result<i64, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::QueueLink { link: Box::new(link), reply }).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }

    /// Runs `work` on the writer's pipeline, in turn with mail; `wakes`
    /// tells from its result whether the outbox has something new.
    pub(super) async fn staff<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Pipeline) -> Result<T, PipelineError> + Send + 'static,
        wakes: fn(&T) -> bool,
    ) -> Result<T, WriterError> {
        let (reply, answer) = oneshot::channel();
        let work = Box::new(move |pipeline: &mut Pipeline| {
            let result = work(pipeline);
            let wake = result.as_ref().is_ok_and(wakes);
            let _ = reply.send(result);
            wake
        });
        self.jobs.send(Job::Staff { work }).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }
}

/// A personal link to mail (see [`crate::notify::link_mail`]).
#[derive(Debug, Clone)]
pub struct LinkRequest {
    pub to: Mailbox,
    pub url: String,
    pub kind: LinkKind,
    /// How long the link works, in words of the configured language.
    pub valid_for: String,
}

/// Answers the pings waiting in `queue` and sets aside, in order, the other
/// jobs met on the way: called between the mails of a batch.
fn answer_pings(queue: &mut mpsc::Receiver<Job>, deferred: &mut VecDeque<Job>) {
    while let Ok(job) = queue.try_recv() {
        match job {
            Job::Ping { reply } => {
                let _ = reply.send(());
            }
            other => deferred.push_back(other),
        }
    }
}
