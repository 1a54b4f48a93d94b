//! The operator's maintenance of the database file: the dashboard counts
//! behind `mailgate stats`, a consistent online backup, the integrity and
//! foreign-key checks of `mailgate db check`, and the retention rule of
//! `mailgate purge`, which drops old raw mail copies but never a ticket, a
//! followup, an attachment or the record that a mail was received. Every
//! function here is safe to run while the daemon writes: reads see one
//! snapshot, and the purge takes the write lock like any other writer.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;
use serde::ser::SerializeMap;

use super::{OutboxState, Store, StoreError};
use crate::intake::Outcome;
use crate::ticket::Status;

/// Counts by name, in a fixed order and with every name present (zeros
/// included); serialized as a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally(pub Vec<(&'static str, i64)>);

impl Tally {
    fn zeros(names: impl IntoIterator<Item = &'static str>) -> Tally {
        Tally(names.into_iter().map(|n| (n, 0)).collect())
    }

    fn set(&mut self, name: &str, n: i64) {
        if let Some(entry) = self.0.iter_mut().find(|(k, _)| *k == name) {
            entry.1 = n;
        }
    }

    pub fn get(&self, name: &str) -> i64 {
        self.0.iter().find(|(k, _)| *k == name).map_or(0, |(_, n)| *n)
    }
}

impl Serialize for Tally {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, n) in &self.0 {
            map.serialize_entry(k, n)?;
        }
        map.end()
    }
}

/// What `mailgate stats` shows. The JSON shape is documented in the README.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Every ticket, by status.
    pub tickets: Tally,
    /// Mails received at or after `today_since`, by outcome.
    pub today: Tally,
    pub today_since: String,
    /// Every notification, by state.
    pub outbox: Tally,
}

const OUTBOX_STATES: [OutboxState; 5] =
    [OutboxState::Pending, OutboxState::Sending, OutboxState::Sent, OutboxState::Failed, OutboxState::Held];

/// A backup written by [`Store::backup_to`].
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub size: u64,
}

/// What [`Store::purge_raw_copies`] dropped (or would drop, on a dry run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// Raw copies whose bytes were dropped.
    pub copies: i64,
    /// Their total size.
    pub bytes: i64,
    /// Raw copies of old mails kept because a recent mail or an attachment
    /// has the same bytes.
    pub kept_shared: i64,
}

/// How long a backup waits for a lock before giving up.
const BACKUP_PATIENCE: Duration = Duration::from_secs(60);

impl Store {
    /// Opens an existing database as it is: nothing is created and no
    /// migration is applied (`db check`, `backup`, the version before `db
    /// migrate`). Writes are possible: a WAL database needs its shared-memory
    /// file even to be read.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        if !path.is_file() {
            return Err(StoreError::NotFound(format!("no database at {}", path.display())));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(open_err)?;
        Ok(Store { conn, group_commit: false })
    }

    /// The dashboard: tickets by status, the intake since `today_since` (RFC
    /// 3339) by outcome, and the outbox by state, read in one snapshot.
    pub fn stats(&self, today_since: &str) -> Result<Stats, StoreError> {
        let snapshot = self.conn.unchecked_transaction()?;
        // The staff dashboard's "everyone" counts are these, by construction.
        let mut tickets = Tally::zeros(Status::ALL.map(Status::as_str));
        for (status, n) in super::dashboard::status_counts(&self.conn, super::dashboard::Scope::Everyone)?.0 {
            tickets.set(status.as_str(), n);
        }
        let mut today = Tally::zeros(Outcome::ALL.map(Outcome::as_str));
        for (outcome, n) in self.outcome_counts_since(today_since)? {
            today.set(outcome.as_str(), n);
        }
        let mut outbox = Tally::zeros(OUTBOX_STATES.map(OutboxState::as_str));
        for (state, n) in self.counts(today_since)?.outbox {
            outbox.set(state.as_str(), n);
        }
        snapshot.finish()?;
        Ok(Stats { tickets, today, today_since: today_since.to_string(), outbox })
    }

    /// Writes a consistent copy of the database to `dest` while other
    /// connections (the daemon) keep writing, then checks it.
    ///
    /// SQLite's online backup API copies every page in one step, under one
    /// read snapshot: in WAL mode that never blocks the writer, and unlike a
    /// copy in chunks it cannot be restarted forever by a busy daemon. The
    /// copy is written to a hidden temporary file next to `dest`, switched
    /// out of WAL mode (so the backup is one self-contained file), passed
    /// through `PRAGMA integrity_check`, synced, and only then given its
    /// name: a half-written backup never carries the final name. It is
    /// created mode 0600 whatever the umask, as the database is. Without
    /// `overwrite`, an existing `dest` is never replaced, not even one that
    /// appears during the copy.
    pub fn backup_to(&self, dest: &Path, overwrite: bool) -> Result<BackupReport, StoreError> {
        let io_err = |path: &Path| {
            let path = path.display().to_string();
            move |error| StoreError::Io { path, error }
        };
        if dest.exists() && !overwrite {
            return Err(refuse_existing(dest));
        }
        if let (Some(live), Ok(target)) = (self.conn.path(), dest.canonicalize())
            && Path::new(live).canonicalize().is_ok_and(|live| live == target)
        {
            return Err(StoreError::Refused(format!("{} is the database itself", dest.display())));
        }
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
            return Err(StoreError::Refused(format!("folder {} does not exist", dir.display())));
        }
        let name = dest
            .file_name()
            .ok_or_else(|| StoreError::Refused(format!("{}: not a file name", dest.display())))?
            .to_string_lossy();
        let temp = TempFile(dest.with_file_name(format!(".{name}.{}.tmp", std::process::id())));

        // Private like the database: the copy holds every raw mail too.
        super::files::create_private(&temp.0).map_err(io_err(&temp.0))?;
        let mut copy = Connection::open(&temp.0)?;
        {
            let backup = Backup::new(&self.conn, &mut copy)?;
            let deadline = Instant::now() + BACKUP_PATIENCE;
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    StepResult::More => {}
                    _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                    _ => {
                        return Err(StoreError::Refused(format!(
                            "the database stayed locked for {} s; try again",
                            BACKUP_PATIENCE.as_secs()
                        )));
                    }
                }
            }
        }
        drop(copy);
        // Reopened, the copy is in WAL mode like its source; a backup is
        // better as one file that needs no -wal beside it.
        let copy = Connection::open(&temp.0)?;
        copy.pragma_update(None, "journal_mode", "DELETE")?;
        let problems = integrity_problems(&copy)?;
        drop(copy);
        if !problems.is_empty() {
            return Err(StoreError::Refused(format!("the copy failed its integrity check: {}", problems.join("; "))));
        }
        File::open(&temp.0).and_then(|f| f.sync_all()).map_err(io_err(&temp.0))?;
        publish(&temp.0, dest, overwrite)?;
        // Published, the temporary name is gone: the guard finds nothing left.
        drop(temp);
        // The new name survives a power cut once its folder is synced.
        let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let _ = File::open(dir).and_then(|d| d.sync_all());
        let size = std::fs::metadata(dest).map_err(io_err(dest))?.len();
        Ok(BackupReport { path: dest.to_path_buf(), size })
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`: the problems
    /// found, none when the database is sound. A database too damaged to be
    /// read through is a problem reported, not an error.
    pub fn check(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = integrity_problems(&self.conn)?;
        let foreign = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
            let rows = stmt.query_map([], |r| {
                let (table, row, parent): (String, Option<i64>, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let row = row.map_or_else(|| "a row".to_string(), |id| format!("row {id}"));
                Ok(format!("foreign key: {table} {row} refers to a missing row of {parent}"))
            })?;
            rows.collect()
        };
        match foreign() {
            Ok(found) => problems.extend(found),
            Err(e) if is_damage(&e) => problems.push(format!("foreign_key_check stopped: {e}")),
            Err(e) => return Err(e.into()),
        }
        Ok(problems)
    }

    /// Drops the raw copies of mails received before `received_before` (RFC
    /// 3339), keeping every row: the blob keeps its SHA-256 and size with
    /// `bytes` set to NULL, and `messages raw` then says it was purged.
    ///
    /// Blobs are content-addressed, so one may be shared: a copy is dropped
    /// only when every mail that has it is older than the cutoff and no
    /// attachment has the same bytes. With `dry_run`, only counts.
    pub fn purge_raw_copies(&mut self, received_before: &str, dry_run: bool) -> Result<Purged, StoreError> {
        let behavior = if dry_run { TransactionBehavior::Deferred } else { TransactionBehavior::Immediate };
        let tx = self.conn.transaction_with_behavior(behavior)?;
        let mut purged = Purged::default();
        let mut doomed = Vec::new();
        {
            // `typeof` reads a column's type from the record header without
            // loading a large value; the IN list is built once, not per row.
            let mut stmt = tx.prepare(
                "WITH raw AS (
                     SELECT raw_sha256 AS sha256, MAX(received_at) AS newest FROM messages
                     GROUP BY raw_sha256 HAVING MIN(received_at) < ?1
                 )
                 SELECT b.sha256, b.size, raw.newest < ?1 AND b.sha256 NOT IN (SELECT sha256 FROM attachments)
                 FROM raw JOIN blobs b ON b.sha256 = raw.sha256
                 WHERE typeof(b.bytes) = 'blob'",
            )?;
            let rows = stmt.query_map([received_before], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, bool>(2)?))
            })?;
            for row in rows {
                let (sha256, size, purgeable) = row?;
                if purgeable {
                    purged.copies += 1;
                    purged.bytes += size;
                    doomed.push(sha256);
                } else {
                    purged.kept_shared += 1;
                }
            }
        }
        if dry_run {
            return Ok(purged);
        }
        {
            let mut stmt = tx.prepare("UPDATE blobs SET bytes = NULL WHERE sha256 = ?1")?;
            for sha256 in &doomed {
                stmt.execute([sha256])?;
            }
        }
        tx.commit()?;
        Ok(purged)
    }
}

/// `PRAGMA integrity_check`'s findings; a read that fails on damage is one.
fn integrity_problems(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let rows = || -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect()
    };
    match rows() {
        Ok(rows) => Ok(rows.into_iter().filter(|r| r != "ok").map(|r| format!("integrity: {r}")).collect()),
        Err(e) if is_damage(&e) => Ok(vec![format!("integrity_check stopped: {e}")]),
        Err(e) => Err(e.into()),
    }
}

fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

fn refuse_existing(dest: &Path) -> StoreError {
    StoreError::Refused(format!("{} already exists: choose another name, or add --force to replace it", dest.display()))
}

/// Gives the finished copy its name. Without `overwrite`, a hard link
/// claims the name atomically and fails if it is taken.
fn publish(temp: &Path, dest: &Path, overwrite: bool) -> Result<(), StoreError> {
    let io_err = |error| StoreError::Io { path: dest.display().to_string(), error };
    if overwrite {
        return std::fs::rename(temp, dest).map_err(io_err);
    }
    match std::fs::hard_link(temp, dest) {
        Ok(()) => std::fs::remove_file(temp).map_err(io_err),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(refuse_existing(dest)),
        // A file system without hard links: check, then rename.
        Err(_) if dest.exists() => Err(refuse_existing(dest)),
        Err(_) => std::fs::rename(temp, dest).map_err(io_err),
    }
}

/// A temporary file removed, with any journal SQLite left beside it, when
/// the backup stops before publishing it.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}
