//! What the requester's pages read, and only that: a ticket as its
//! requester or an observer may see it (never a private followup, never
//! staff-only history), the files of its public followups, and the list of
//! an address's tickets. Read through the pages' own read-only connections
//! ([`Store::open_read_only`]), never the writer's.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::tickets::{role_of, status_of};
use super::{Store, StoreError};
use crate::ticket::{Role, Status, TicketId};

/// A ticket as its requester and observers see it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicTicket {
    pub id: TicketId,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub entity: String,
    pub category: Option<String>,
    pub requester: String,
    pub created_at: String,
    /// Group names in charge (`ticket_groups` role `assigned`).
    pub groups: Vec<String>,
    /// The assigned technicians' addresses.
    pub technicians: Vec<String>,
    /// Files of the opening mail.
    pub files: Vec<PublicFile>,
    pub timeline: Vec<PublicEntry>,
    /// The solution waiting for the requester's answer.
    pub pending_solution: Option<PendingSolution>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicFile {
    pub id: i64,
    pub filename: String,
    pub size: i64,
}

/// One line of the public timeline, in time order.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PublicEntry {
    Followup {
        at: String,
        author: String,
        author_name: Option<String>,
        role: Role,
        body: String,
        files: Vec<PublicFile>,
    },
    Status {
        at: String,
        from: Option<Status>,
        to: Option<Status>,
    },
}

impl PublicEntry {
    fn at(&self) -> &str {
        match self {
            PublicEntry::Followup { at, .. } | PublicEntry::Status { at, .. } => at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PendingSolution {
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// A line of « Mes demandes ».
#[derive(Debug, Clone, Serialize)]
pub struct MyTicket {
    pub id: TicketId,
    pub title: String,
    pub status: Status,
    pub updated_at: String,
    /// `requester` or `observer`.
    pub role: Role,
}

/// A public file's name, type and bytes, for a download.
#[derive(Debug, Clone)]
pub struct PublicFileBytes {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Store {
    /// The ticket as its requester or observers see it; None if unknown.
    /// The role `address` plays on ticket `id` now (requester, technician,
    /// observer), None when none or there is no such ticket.
    pub fn role_on_ticket(&self, id: TicketId, address: &str) -> Result<Option<Role>, StoreError> {
        Ok(super::view::facts(&self.conn, id)?.and_then(|f| f.role_of(address)))
    }

    pub fn public_ticket(&self, id: TicketId) -> Result<Option<PublicTicket>, StoreError> {
        let head = self
            .conn
            .prepare_cached(
                "SELECT title, description, status, entity, category, requester, created_at FROM tickets WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    status_of(r.get(2)?)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .optional()?;
        let Some((title, description, status, entity, category, requester, created_at)) = head else {
            return Ok(None);
        };
        let groups = super::tickets::groups(&self.conn, id, "assigned")?;
        let technicians = self
            .conn
            .prepare_cached("SELECT email FROM actors WHERE ticket_id = ?1 AND role = 'technician' ORDER BY email")?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        // Files of the opening mail, and of public followups only.
        let mut files: Vec<(Option<i64>, PublicFile)> = self
            .conn
            .prepare_cached(
                "SELECT a.followup_id, a.id, a.filename, a.size FROM attachments a
                 LEFT JOIN followups f ON f.id = a.followup_id
                 WHERE a.ticket_id = ?1 AND a.inline = 0 AND (a.followup_id IS NULL OR f.private = 0)
                 ORDER BY a.id",
            )?
            .query_map([id], |r| Ok((r.get(0)?, PublicFile { id: r.get(1)?, filename: r.get(2)?, size: r.get(3)? })))?
            .collect::<Result<_, _>>()?;
        let mut timeline: Vec<PublicEntry> = Vec::new();
        let followups = self
            .conn
            .prepare_cached(
                "SELECT id, created_at, author, author_name, role, body FROM followups
                 WHERE ticket_id = ?1 AND private = 0 ORDER BY id",
            )?
            .query_map([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    role_of(r.get(4)?)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (fid, at, author, author_name, role, body) in followups {
            let (mine, rest): (Vec<_>, Vec<_>) = files.into_iter().partition(|(f, _)| *f == Some(fid));
            files = rest;
            let files = mine.into_iter().map(|(_, f)| f).collect();
            timeline.push(PublicEntry::Followup { at, author, author_name, role, body, files });
        }
        let changes = self
            .conn
            .prepare_cached(
                "SELECT at, detail FROM ticket_history WHERE ticket_id = ?1 AND action = 'status' ORDER BY id",
            )?
            .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        for (at, detail) in changes {
            let (from, to) = detail.split_once(" -> ").unwrap_or(("", &detail));
            timeline.push(PublicEntry::Status { at, from: Status::parse(from), to: Status::parse(to) });
        }
        // Stable: a status change and the followup that caused it share a
        // time; the followup (pushed first) comes first.
        timeline.sort_by(|a, b| a.at().cmp(b.at()));
        let pending_solution = self
            .conn
            .prepare_cached(
                "SELECT author, body, created_at FROM solutions WHERE ticket_id = ?1 AND state = 'waiting'
                 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([id], |r| Ok(PendingSolution { author: r.get(0)?, body: r.get(1)?, created_at: r.get(2)? }))
            .optional()?
            .filter(|_| status == Status::Solved);
        Ok(Some(PublicTicket {
            id,
            title,
            description,
            status,
            entity,
            category,
            requester,
            created_at,
            groups,
            technicians,
            files: files.into_iter().filter(|(f, _)| f.is_none()).map(|(_, f)| f).collect(),
            timeline,
            pending_solution,
        }))
    }

    /// Every ticket where `address` is the requester or an observer, the
    /// most recently active first.
    pub fn tickets_of(&self, address: &str) -> Result<Vec<MyTicket>, StoreError> {
        let rows = self
            .conn
            .prepare_cached(
                "SELECT t.id, t.title, t.status, t.updated_at, MIN(a.role) FROM actors a
                 JOIN tickets t ON t.id = a.ticket_id
                 WHERE a.email = ?1 AND a.role IN ('requester', 'observer')
                 GROUP BY t.id ORDER BY t.updated_at DESC, t.id DESC",
            )?
            .query_map([address], |r| {
                Ok(MyTicket {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    status: status_of(r.get(2)?)?,
                    updated_at: r.get(3)?,
                    role: role_of(r.get(4)?)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// A file of `ticket` that its requester may see (the opening mail's or
    /// a public followup's); None for any other, or one of another ticket.
    pub fn public_file(&self, ticket: TicketId, file: i64) -> Result<Option<PublicFileBytes>, StoreError> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT a.filename, a.content_type, a.sha256 FROM attachments a
                 LEFT JOIN followups f ON f.id = a.followup_id
                 WHERE a.id = ?1 AND a.ticket_id = ?2 AND (a.followup_id IS NULL OR f.private = 0)",
            )?
            .query_row(params![file, ticket], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?)))
            .optional()?;
        let Some((filename, content_type, sha256)) = found else { return Ok(None) };
        Ok(self.blob(&sha256)?.map(|bytes| PublicFileBytes { filename, content_type, bytes }))
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use crate::store::{Store, Synthetic};

    /// The pages' connections keep each cached statement's plan: a
    /// statement re-prepared at every use cost 8 % of the server's time
    /// under load (bench/web).
    #[test]
    fn a_read_only_connection_does_not_re_prepare_its_cached_statements() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let spec = Synthetic {
            tickets: 200,
            days: 30,
            now: time::OffsetDateTime::now_utc(),
            technicians: vec!["t@ac-exemple.fr".into()],
            groups: vec!["g".into()],
        };
        let mut writer = Store::open(&path).expect("store");
        writer.fill_synthetic(&spec).expect("fill");
        // Statistics as `PRAGMA optimize` leaves them: the case where a
        // plan could depend on the bound value.
        writer.conn.execute_batch("ANALYZE").expect("analyze");
        let reader = Store::open_read_only(&path).expect("reader");
        for id in 1..=20 {
            assert!(reader.public_ticket(id).expect("read").is_some());
        }
        let sql = "SELECT id, created_at, author, author_name, role, body FROM followups
                 WHERE ticket_id = ?1 AND private = 0 ORDER BY id";
        let stmt = reader.conn.prepare_cached(sql).expect("the page's cached statement");
        assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "re-prepared on use");
    }
}
