//! The only place that knows SQL. SQLite in WAL mode with foreign keys on;
//! migrations are compiled into the binary and applied at open. One
//! [`Store`] is one connection: the pipeline holds the single writer, and
//! readers (the CLI, the outbox sender) open their own.
//!
//! Every query binds its parameters; no text from a mail is ever spliced
//! into SQL.
//!
//! The store is a repository: it decides nothing about tickets. Writes go
//! through a [`Tx`] (one method per row), opened by [`Store::write`] and its
//! siblings; [`crate::desk`] decides what to write.

mod admin;
mod blobs;
mod changes;
mod counts;
mod dashboard;
mod digest;
pub mod files;
mod journal;
mod messages;
pub mod notification_files;
mod outbox;
mod outbox_lease;
mod queues;
mod rows;
mod synthetic;
mod ticket_queries;
pub mod tickets;
mod tx;
mod view;
mod web_reads;
mod web_sessions;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

pub use admin::{BackupReport, Purged, Stats, Tally};
pub use changes::ChangeContext;
pub use counts::Counts;
pub use dashboard::{Dashboard, DashboardSizes, DayFlow, DayRange, Scope, StatusCounts, last_days};
pub use journal::{JournalFilter, MAX_HEADER_FIELDS, header_fields};
pub use messages::MessageRecord;
pub use outbox::{OutboxRow, OutboxState};
pub use outbox_lease::Delivered;
pub use queues::{Page, PageRequest, Queue, QueueOrder};
pub use rows::Received;
pub use synthetic::Synthetic;
pub use ticket_queries::{
    AttachmentInfo, FollowupRecord, GroupRecord, HistoryEntry, SolutionRecord, TicketDetail, TicketFilter,
    TicketSummary, TimelineEntry,
};
pub use tx::{FollowupRow, NewTicketRow, Tx};
pub use web_reads::{MyTicket, PendingSolution, PublicEntry, PublicFile, PublicFileBytes, PublicTicket};
pub use web_sessions::{SessionOrigin, SessionRecord};

/// Migrations in order; the schema version is the number applied.
/// Prepared statements kept per connection: more than every statement the
/// code prepares with `prepare_cached` (a test counts them).
const STATEMENT_CACHE: usize = 128;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_outbox_guard.sql"),
    include_str!("migrations/0003_life_cycle.sql"),
    include_str!("migrations/0004_digest.sql"),
    include_str!("migrations/0005_outbox_lease.sql"),
    include_str!("migrations/0006_message_identity.sql"),
    include_str!("migrations/0007_notification_files.sql"),
    include_str!("migrations/0009_compressed.sql"),
    include_str!("migrations/0010_history_door.sql"),
    include_str!("migrations/0011_web_staff.sql"),
    include_str!("migrations/0012_notification_bodies.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error(
        "database {path} has schema version {found}, newer than this mailgate knows ({known}): upgrade mailgate or restore a backup"
    )]
    TooNew { path: String, found: i64, known: i64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
}

impl StoreError {
    /// A busy or locked database is worth retrying; anything else is not.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            }
            _ => false,
        }
    }
}

pub struct Store {
    conn: Connection,
    /// When set, [`Store::write`] leaves its transaction open and the
    /// next [`Store::make_durable`] commits the whole batch at once.
    group_commit: bool,
}

impl Store {
    /// Opens (creating if needed, mode 0600: see [`files`]) and migrates the
    /// database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        // Created 0600 before SQLite sees it: its -wal and -shm take its mode.
        files::create_private(path).map_err(|e| {
            open_err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(format!("cannot create {} (or its folder): {e}", path.display())),
            ))
        })?;
        let conn = Connection::open(path).map_err(open_err)?;
        let mut store = Store { conn, group_commit: false };
        store.configure().map_err(open_err)?;
        store.migrate(&path.display().to_string())?;
        Ok(store)
    }

    /// Opens an existing database for reading only (`run --dry-run`):
    /// nothing is created or migrated, and any write fails.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open { path: path.display().to_string(), source };
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(open_error)?;
        let store = Store { conn, group_commit: false };
        store.conn.busy_timeout(Duration::from_secs(10))?;
        // Stable plans here too (see `configure`): without it, each of the
        // pages' cached statements was re-prepared on every use, 8 % of the
        // server's time under load (bench/web).
        store.conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        let found = store.schema_version()?;
        let known = MIGRATIONS.len() as i64;
        if found != known {
            return Err(StoreError::Refused(format!(
                "database {} has schema version {found}, this mailgate expects {known}: run `mailgate db migrate` first",
                path.display()
            )));
        }
        Ok(store)
    }

    /// An in-memory store, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store { conn, group_commit: false };
        store.configure()?;
        store.migrate(":memory:")?;
        Ok(store)
    }

    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(Duration::from_secs(10))?;
        // WAL lets the CLI read while the daemon writes. Commits are atomic
        // and survive a crash of the process at once; surviving a power cut
        // needs an fsync, which `make_durable` does once per batch, before
        // the batch is acknowledged to its source (see there).
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        // After a checkpoint the log is cut back to this size: a backlog's
        // large batches must not leave a WAL of tens of megabytes behind.
        self.conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)?;
        // Each mail of a group commit has its own savepoint, whose journal
        // would otherwise be a temporary file created and deleted per mail.
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Bundled SQLite is built with STAT4, under which a cached statement
        // whose plan could depend on a bound value is re-prepared on every
        // use. Plans here do not depend on values (every hot query is a
        // lookup by key), so a stable plan is both faster and predictable.
        self.conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // rusqlite keeps 16 prepared statements by default, fewer than one
        // mail's path uses (lookups, rows, history, outbox, files): the
        // cache then evicted in a circle and every statement of every mail
        // was parsed and planned again, a fifth of the writer's time.
        self.conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(())
    }

    fn migrate(&mut self, path: &str) -> Result<(), StoreError> {
        let found: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if found > known {
            return Err(StoreError::TooNew { path: path.to_string(), found, known });
        }
        if found == known {
            return Ok(());
        }
        // IMMEDIATE, and the version read again inside: a daemon and a CLI
        // command opening a fresh database at once must not both migrate it.
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found >= known {
            return Ok(());
        }
        for sql in &MIGRATIONS[found as usize..] {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", known)?;
        tx.commit()?;
        Ok(())
    }

    /// Group commit: mails applied from now on share one transaction per
    /// batch, committed by [`Store::make_durable`]. A backlog then writes
    /// each index page to the log once per batch instead of once per mail,
    /// which is most of the cost of recording a mail. A mail that fails
    /// still rolls back alone (each mail has its own savepoint).
    pub fn set_group_commit(&mut self, on: bool) {
        self.group_commit = on;
        // The writer checkpoints when it is idle (Store::checkpoint), not
        // inside whichever commit crosses SQLite's page threshold.
        let pages = if on { 0 } else { 1000 };
        if let Err(e) = self.conn.pragma_update(None, "wal_autocheckpoint", pages) {
            tracing::warn!(error = %e, "cannot set wal_autocheckpoint");
        }
    }

    /// Copies what the log holds into the database, as far as readers let
    /// it, without waiting for them (PASSIVE): the writer calls this between
    /// batches, when no mail waits, so checkpoints overlap the sources'
    /// fetching instead of lengthening a batch's commit.
    pub fn checkpoint(&mut self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        }
        Ok(())
    }

    /// Opens the write transaction for the next mail, or joins the batch's
    /// (`BEGIN IMMEDIATE`: the write lock is taken before anything is
    /// read, so that what the mail's decision reads is what it writes
    /// against). [`Store::finish`] ends it, unless in group commit.
    pub fn begin(&mut self) -> Result<(), StoreError> {
        self.begin_batch()
    }

    /// Ends what [`Store::begin`] opened, committing when `ok`; in group
    /// commit the batch stays open for [`Store::make_durable`].
    pub fn finish(&mut self, ok: bool) -> Result<(), StoreError> {
        if self.group_commit { Ok(()) } else { self.end_batch(ok) }
    }

    fn begin_batch(&mut self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            // IMMEDIATE: take the write lock now, waiting on busy_timeout,
            // rather than failing on a read-to-write upgrade later.
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        Ok(())
    }

    fn end_batch(&mut self, commit: bool) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch(if commit { "COMMIT" } else { "ROLLBACK" })?;
        }
        Ok(())
    }

    /// Commits the open batch, if any, and makes every transaction
    /// committed so far durable, power cuts included, with one fsync of the
    /// WAL: a write committed under synchronous=FULL syncs the whole log,
    /// earlier commits with it. (The level cannot change inside a
    /// transaction, hence the small commit of its own.)
    ///
    /// Sources acknowledge mail only after this returns. Paying one fsync
    /// per batch instead of one per mail is what lets a backlog drain fast
    /// without ever removing a mail from its mailbox on the strength of a
    /// commit that a power cut could undo.
    pub fn make_durable(&mut self) -> Result<(), StoreError> {
        self.end_batch(true)?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let synced = self
            .conn
            .prepare_cached("UPDATE durability SET syncs = syncs + 1 WHERE id = 1")
            .and_then(|mut s| s.execute([]));
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        synced?;
        Ok(())
    }

    /// The connection itself, for the unit tests of the modules above the store.
    #[cfg(test)]
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// The raw copy of a stored mail.
    pub fn raw_message(&self, message_row: i64) -> Result<Vec<u8>, StoreError> {
        let sha256: Option<String> = self
            .conn
            .query_row("SELECT raw_sha256 FROM messages WHERE id = ?1", [message_row], |r| r.get(0))
            .optional()?;
        let Some(sha256) = sha256 else { return Err(StoreError::NotFound(format!("no message {message_row}"))) };
        match blobs::get(&self.conn, &sha256)? {
            Some(Some(bytes)) => Ok(bytes),
            _ => Err(StoreError::NotFound(format!("the raw copy of message {message_row} was purged"))),
        }
    }
}

fn put_blob(conn: &Connection, sha256: &str, bytes: &[u8]) -> rusqlite::Result<()> {
    blobs::put(conn, sha256, bytes)
}

#[cfg(test)]
mod cache_tests {
    /// Past the cache's capacity, the least recently used statement goes
    /// first: a mail's path, which uses them in the same order every time,
    /// would then find none of its statements prepared.
    #[test]
    fn the_statement_cache_holds_every_statement_the_store_prepares() {
        fn count(dir: &std::path::Path) -> usize {
            let entries = std::fs::read_dir(dir).expect("src/store");
            entries
                .map(|e| e.expect("entry").path())
                .map(|p| match p.extension() {
                    _ if p.is_dir() => count(&p),
                    Some(ext) if ext == "rs" => {
                        std::fs::read_to_string(&p).expect("source").matches(".prepare_cached(").count()
                    }
                    _ => 0,
                })
                .sum()
        }
        let prepared = count(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store"));
        assert!(prepared > 16, "the count found {prepared} statements: is it still reading src/store?");
        assert!(prepared <= super::STATEMENT_CACHE, "{prepared} statements, cache of {}", super::STATEMENT_CACHE);
    }
}
