//! What a notification carries besides its text: the files a mail brought
//! (linked to the outbox rows at enqueue, in the mail's transaction, and
//! read back from `blobs` when the row is sent) and the ticket's latest
//! public followups, which notifications quote below their news.
//!
//! The sender reads files through a [`FileReader`], a connection of its
//! own opened on the database file: the outbox's connection stays free to
//! record results while messages are being built, and only the files of
//! the messages in flight are in memory at once.

use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, params};

use super::{Store, StoreError};
use crate::news::{FileNote, HistoryNote, MAX_QUOTED_BYTES, Person};
use crate::ticket::{Role, TicketId};

/// The files mail `message_row` stored that may travel: those of a new
/// ticket, or of a public followup. A private followup's stay on the ticket.
pub(super) fn of_mail(conn: &Connection, message_row: i64) -> rusqlite::Result<Vec<FileNote>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.filename, a.content_type, a.size, a.inline
         FROM attachments a LEFT JOIN followups f ON f.id = a.followup_id
         WHERE a.message_row_id = ?1 AND coalesce(f.private, 0) = 0
         ORDER BY a.id",
    )?;
    let rows = stmt.query_map([message_row], file_note)?;
    rows.collect()
}

/// The files of `followup` (a web followup's), unless it is private.
pub(super) fn of_followup(conn: &Connection, followup: i64) -> rusqlite::Result<Vec<FileNote>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.filename, a.content_type, a.size, a.inline
         FROM attachments a JOIN followups f ON f.id = a.followup_id
         WHERE a.followup_id = ?1 AND f.private = 0
         ORDER BY a.id",
    )?;
    let rows = stmt.query_map([followup], file_note)?;
    rows.collect()
}

fn file_note(r: &rusqlite::Row<'_>) -> rusqlite::Result<FileNote> {
    Ok(FileNote {
        id: r.get(0)?,
        filename: r.get(1)?,
        content_type: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
        inline: r.get(4)?,
    })
}

/// The `limit` latest public followups of `ticket`, newest first, leaving
/// out `except` (the news itself). Each body is read up to
/// [`MAX_QUOTED_BYTES`] characters, with its whole length, so that a huge
/// followup costs no more than a quoted one.
pub(super) fn history(
    conn: &Connection,
    ticket: TicketId,
    except: Option<i64>,
    limit: usize,
) -> rusqlite::Result<Vec<HistoryNote>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT author, author_name, role, created_at, substr(body, 1, ?3), length(CAST(body AS BLOB))
         FROM followups
         WHERE ticket_id = ?1 AND private = 0 AND id <> coalesce(?2, -1) AND body <> ''
         ORDER BY id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![ticket, except, MAX_QUOTED_BYTES as i64 + 1, limit as i64], |r| {
        let role: String = r.get(2)?;
        Ok(HistoryNote {
            author: Person { email: r.get(0)?, name: r.get(1)? },
            role: Role::parse(&role).unwrap_or(Role::Requester),
            created_at: r.get(3)?,
            body: r.get(4)?,
            total_bytes: r.get::<_, i64>(5)?.max(0) as usize,
        })
    })?;
    rows.collect()
}

/// Records that outbox row `outbox_id` carries `files`, in their order.
pub(super) fn link(conn: &Connection, outbox_id: i64, files: &[i64]) -> rusqlite::Result<()> {
    let mut stmt =
        conn.prepare_cached("INSERT INTO outbox_attachments (outbox_id, attachment_id, position) VALUES (?1, ?2, ?3)")?;
    for (position, id) in files.iter().enumerate() {
        stmt.execute(params![outbox_id, id, position as i64])?;
    }
    Ok(())
}

/// A file as it leaves with a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingFile {
    pub filename: String,
    pub content_type: String,
    pub inline: bool,
    pub content_id: Option<String>,
    pub bytes: Vec<u8>,
}

/// Reads the files of outbox rows on a connection of its own (see the
/// module's doc), opened at the first row that needs it.
pub struct FileReader {
    path: Option<String>,
    conn: Mutex<Option<Connection>>,
}

impl Store {
    /// A reader of the files notifications carry. An in-memory store (tests,
    /// dry runs) cannot be opened twice: its reader finds no files.
    pub fn file_reader(&self) -> FileReader {
        let path = self.conn.path().filter(|p| !p.is_empty()).map(str::to_string);
        FileReader { path, conn: Mutex::new(None) }
    }
}

impl FileReader {
    /// The files outbox row `outbox_id` carries, in order, their bytes read.
    pub fn files(&self, outbox_id: i64) -> Result<Vec<OutgoingFile>, StoreError> {
        let Some(path) = &self.path else { return Ok(Vec::new()) };
        let mut guard = self.conn.lock().map_err(|_| StoreError::Refused("the file reader was poisoned".into()))?;
        let conn = match &mut *guard {
            Some(conn) => conn,
            none => {
                let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(|source| StoreError::Open { path: path.clone(), source })?;
                conn.busy_timeout(std::time::Duration::from_secs(10))?;
                none.insert(conn)
            }
        };
        let mut stmt = conn.prepare_cached(
            "SELECT a.filename, a.content_type, a.inline, a.content_id, a.sha256
             FROM outbox_attachments o JOIN attachments a ON a.id = o.attachment_id
                  JOIN blobs b ON b.sha256 = a.sha256
             WHERE o.outbox_id = ?1 AND b.bytes IS NOT NULL ORDER BY o.position",
        )?;
        let listed = stmt
            .query_map([outbox_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut files = Vec::with_capacity(listed.len());
        for (filename, content_type, inline, content_id, sha256) in listed {
            // Through store::blobs, which knows how each blob is stored.
            if let Some(Some(bytes)) = super::blobs::get(conn, &sha256)? {
                files.push(OutgoingFile { filename, content_type, inline, content_id, bytes });
            }
        }
        Ok(files)
    }
}
