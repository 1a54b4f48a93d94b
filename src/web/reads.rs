//! The pages' read-only SQLite connections: a few kept open, each used on
//! the blocking pool, never the writer's (WAL lets them read while intake
//! writes, so a busy page never slows mail down).
//!
//! At most [`Reads::bound`] reads run at once; the others wait their turn
//! in the async runtime, holding no thread and no connection. Without the
//! bound, 50 clients at once meant 50 blocking threads and 42 connections
//! opened (and their schema parsed) for one request each: on the 2-core
//! machine of the benchmark (`bench/web`) that was a tenth of the server's
//! time, and more readers than cores only take turns on the same cores,
//! at the expense of the writer's.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::store::{Store, StoreError};

/// Reads at once on a machine of `cores` cores: two per core (a read
/// waits on the disk now and then), at least 2 and at most 8.
fn bound_for(cores: usize) -> usize {
    (cores * 2).clamp(2, 8)
}

pub struct Reads {
    database: PathBuf,
    idle: Mutex<Vec<Store>>,
    /// One permit per read running; as many as connections kept.
    running: Semaphore,
    bound: usize,
}

/// A read that failed: the database, or the blocking pool.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the read was interrupted: {0}")]
    Join(String),
}

impl Reads {
    pub fn new(database: PathBuf) -> Reads {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Reads::with_bound(database, bound_for(cores))
    }

    fn with_bound(database: PathBuf, bound: usize) -> Reads {
        Reads { database, idle: Mutex::new(Vec::new()), running: Semaphore::new(bound), bound }
    }

    /// How many reads may run at once (and connections are kept).
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Runs `read` on a read-only connection, on the blocking pool, once
    /// one of the [`Reads::bound`] places is free.
    pub async fn with<T, F>(self: &Arc<Self>, read: F) -> Result<T, ReadError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        // The semaphore is never closed: acquiring fails only then.
        let permit = self.running.acquire().await.map_err(|e| ReadError::Join(e.to_string()))?;
        let reads = self.clone();
        let out = tokio::task::spawn_blocking(move || {
            let taken = reads.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let store = match taken {
                Some(s) => s,
                None => Store::open_read_only(&reads.database)?,
            };
            let out = read(&store);
            let mut idle = reads.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < reads.bound {
                idle.push(store);
            }
            Ok(out?)
        })
        .await
        .map_err(|e| ReadError::Join(e.to_string()))?;
        drop(permit);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn the_bound_is_two_reads_per_core_between_2_and_8() {
        for (cores, bound) in [(1, 2), (2, 4), (4, 8), (64, 8)] {
            assert_eq!(bound_for(cores), bound, "{cores} cores");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fifty_reads_at_once_run_at_most_bound_at_a_time_on_as_many_connections() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        drop(Store::open(&path).expect("a database"));
        let reads = Arc::new(Reads::with_bound(path, 3));
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (reads, now, most) = (reads.clone(), now.clone(), most.clone());
                tokio::spawn(async move {
                    reads
                        .with(move |s| {
                            let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(running, Ordering::SeqCst);
                            let counted = s.status_counts(crate::store::Scope::Everyone);
                            // A read that takes a while, as a page's does:
                            // without the bound, the 50 would overlap.
                            std::thread::sleep(std::time::Duration::from_millis(2));
                            now.fetch_sub(1, Ordering::SeqCst);
                            counted
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.expect("task").is_ok(), "every read is answered");
        }
        assert!(most.load(Ordering::SeqCst) <= 3, "at most 3 at once, saw {}", most.load(Ordering::SeqCst));
        let kept = reads.idle.lock().map(|i| i.len()).unwrap_or_default();
        assert!((1..=3).contains(&kept), "connections kept for the next reads: {kept}");
    }
}
