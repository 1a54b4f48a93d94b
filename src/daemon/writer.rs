//! The single writer. SQLite takes one writer at a time, so one thread owns
//! the [`Pipeline`] and every source hands it mails through a bounded
//! channel: sources run concurrently on the network, mails are recorded one
//! transaction after another, and a slow disk pushes back on the sources
//! instead of piling mails up in memory.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::pipeline::{Pipeline, PipelineError, Processed};

enum Job {
    Process { source: String, key: String, bytes: Vec<u8>, reply: oneshot::Sender<Result<Processed, PipelineError>> },
    MakeDurable { reply: oneshot::Sender<Result<(), PipelineError>> },
}

/// A handle to the writer thread; cheap to clone, one per source task.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("the writer thread has stopped")]
    Stopped,
}

impl Writer {
    /// Starts the writer thread; `committed` is notified after each mail
    /// that queued notifications, to wake the outbox.
    pub fn start(mut pipeline: Pipeline, committed: Arc<Notify>) -> (Writer, std::thread::JoinHandle<()>) {
        let (jobs, mut queue) = mpsc::channel::<Job>(64);
        let thread = std::thread::Builder::new()
            .name("mailgate-writer".into())
            .spawn(move || {
                while let Some(job) = queue.blocking_recv() {
                    match job {
                        Job::Process { source, key, bytes, reply } => {
                            let result = pipeline.process(&source, &key, &bytes);
                            if matches!(&result, Ok(Processed::Recorded(a)) if a.notifications > 0) {
                                committed.notify_one();
                            }
                            let _ = reply.send(result);
                        }
                        Job::MakeDurable { reply } => {
                            let _ = reply.send(pipeline.make_durable());
                        }
                    }
                }
            })
            .expect("the writer thread starts");
        (Writer { jobs }, thread)
    }

    pub async fn process(&self, source: &str, key: String, bytes: Vec<u8>) -> Result<Processed, WriterError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Process { source: source.to_string(), key, bytes, reply };
        self.jobs.send(job).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }

    pub async fn make_durable(&self) -> Result<(), WriterError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::MakeDurable { reply }).await.map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }
}
