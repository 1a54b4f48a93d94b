//! The pages' read-only SQLite connections: a few kept open, each used on
//! the blocking pool, never the writer's (WAL lets them read while intake
//! writes, so a busy page never slows mail down).

use std::path::PathBuf;
use std::sync::Mutex;

use crate::store::{Store, StoreError};

/// Connections kept open between requests; more are opened under load and
/// closed after use.
const KEPT: usize = 8;

pub struct Reads {
    database: PathBuf,
    idle: Mutex<Vec<Store>>,
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
        Reads { database, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `read` on a read-only connection, on the blocking pool.
    pub async fn with<T, F>(self: &std::sync::Arc<Self>, read: F) -> Result<T, ReadError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let reads = self.clone();
        tokio::task::spawn_blocking(move || {
            let taken = reads.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let store = match taken {
                Some(s) => s,
                None => Store::open_read_only(&reads.database)?,
            };
            let out = read(&store);
            let mut idle = reads.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < KEPT {
                idle.push(store);
            }
            Ok(out?)
        })
        .await
        .map_err(|e| ReadError::Join(e.to_string()))?
    }
}
