//! Tickets, their actors, followups, attachments and history: the writes the
//! transaction in [`super::apply`] is made of, and the reads behind
//! `tickets list` and `tickets show`.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::mail::Mailbox;
use crate::notify::{Person, TicketContext};
use crate::ticket::{Role, Status, TicketId};

/// A ticket in a list. The JSON shape is documented in the README: keep it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketSummary {
    pub id: TicketId,
    pub status: Status,
    pub title: String,
    pub requester: String,
    pub followups: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FollowupRecord {
    pub author: String,
    pub role: Role,
    pub body: String,
    pub created_at: String,
    pub private: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A ticket with its whole story, for `tickets show`.
#[derive(Debug, Clone, Serialize)]
pub struct TicketDetail {
    pub id: TicketId,
    pub status: Status,
    pub title: String,
    pub requester: String,
    pub created_at: String,
    pub updated_at: String,
    pub entity: String,
    pub description: String,
    pub observers: Vec<String>,
    pub technicians: Vec<String>,
    pub followups: Vec<FollowupRecord>,
    pub attachments: Vec<AttachmentInfo>,
    pub history: Vec<HistoryEntry>,
}

pub(super) fn add_actor(conn: &Connection, ticket: TicketId, role: Role, who: &Mailbox) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO actors (ticket_id, role, email, name) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(ticket_id, role, email) DO UPDATE SET name = COALESCE(excluded.name, actors.name)",
    )?
    .execute(params![ticket, role.as_str(), who.address, who.name])?;
    Ok(())
}

pub(super) fn history(
    conn: &Connection,
    ticket: TicketId,
    at: &str,
    actor: &str,
    action: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_history (ticket_id, at, actor, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ticket, at, actor, action, detail])?;
    Ok(())
}

pub(super) fn set_status(
    conn: &Connection,
    ticket: TicketId,
    status: Status,
    actor: &str,
    at: &str,
) -> Result<(), StoreError> {
    let old: String =
        conn.prepare_cached("SELECT status FROM tickets WHERE id = ?1")?.query_row([ticket], |r| r.get(0))?;
    if old != status.as_str() {
        conn.prepare_cached("UPDATE tickets SET status = ?1, updated_at = ?2 WHERE id = ?3")?.execute(params![
            status.as_str(),
            at,
            ticket
        ])?;
        history(conn, ticket, at, actor, "status", &format!("{old} -> {status}"))?;
    }
    Ok(())
}

fn status_of(s: String) -> rusqlite::Result<Status> {
    Status::parse(&s)
        .ok_or_else(|| rusqlite::Error::InvalidColumnType(0, format!("status {s}"), rusqlite::types::Type::Text))
}

fn role_of(s: String) -> rusqlite::Result<Role> {
    Role::parse(&s)
        .ok_or_else(|| rusqlite::Error::InvalidColumnType(0, format!("role {s}"), rusqlite::types::Type::Text))
}

fn actors(conn: &Connection, ticket: TicketId, role: Role) -> rusqlite::Result<Vec<Person>> {
    let mut stmt =
        conn.prepare_cached("SELECT email, name FROM actors WHERE ticket_id = ?1 AND role = ?2 ORDER BY rowid")?;
    let rows = stmt.query_map(params![ticket, role.as_str()], |r| Ok(Person { email: r.get(0)?, name: r.get(1)? }))?;
    rows.collect()
}

/// The ticket as notifications describe it, read inside the transaction.
pub(super) fn context(conn: &Connection, ticket: TicketId) -> Result<TicketContext, StoreError> {
    let (title, description, status, entity, requester, created_at): (String, String, String, String, String, String) =
        conn.prepare_cached(
            "SELECT title, description, status, entity, requester, created_at FROM tickets WHERE id = ?1",
        )?
        .query_row([ticket], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
    let requester =
        actors(conn, ticket, Role::Requester)?.into_iter().next().unwrap_or(Person { email: requester, name: None });
    let origin_message_id: Option<String> = conn
        .prepare_cached(
            "SELECT message_id FROM messages WHERE ticket_id = ?1 AND outcome = 'ticket_created' ORDER BY id LIMIT 1",
        )?
        .query_row([ticket], |r| r.get(0))
        .optional()?;
    Ok(TicketContext {
        id: ticket,
        title,
        description,
        status: status_of(status)?,
        entity,
        requester,
        observers: actors(conn, ticket, Role::Observer)?,
        technicians: actors(conn, ticket, Role::Technician)?,
        created_at,
        origin_message_id,
    })
}

/// Filters for `tickets list`; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<Status>,
    pub requester: Option<String>,
    pub text: Option<String>,
}

impl Store {
    pub fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketSummary>, StoreError> {
        let like = filter
            .text
            .as_ref()
            .map(|t| format!("%{}%", t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
        let mut stmt = self.conn.prepare(
            "SELECT t.id, t.status, t.title, t.requester, t.created_at,
                    (SELECT COUNT(*) FROM followups f WHERE f.ticket_id = t.id)
             FROM tickets t
             WHERE (?1 IS NULL OR t.status = ?1)
               AND (?2 IS NULL OR t.requester = ?2)
               AND (?3 IS NULL OR t.title LIKE ?3 ESCAPE '\\' OR t.description LIKE ?3 ESCAPE '\\')
             ORDER BY t.id",
        )?;
        let rows = stmt.query_map(
            params![filter.status.map(Status::as_str), filter.requester.as_deref().map(str::to_lowercase), like],
            |r| {
                Ok(TicketSummary {
                    id: r.get(0)?,
                    status: status_of(r.get(1)?)?,
                    title: r.get(2)?,
                    requester: r.get(3)?,
                    created_at: r.get(4)?,
                    followups: r.get(5)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn ticket_detail(&self, id: TicketId) -> Result<TicketDetail, StoreError> {
        let c = &self.conn;
        let head = c
            .query_row(
                "SELECT status, title, requester, created_at, updated_at, entity, description FROM tickets WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        status_of(r.get(0)?)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no ticket #{id}")))?;
        let emails = |role| -> Result<Vec<String>, StoreError> {
            Ok(actors(c, id, role)?.into_iter().map(|p| p.email).collect())
        };
        let mut stmt = c.prepare(
            "SELECT author, role, body, created_at, private FROM followups WHERE ticket_id = ?1 ORDER BY id",
        )?;
        let followups = stmt
            .query_map([id], |r| {
                Ok(FollowupRecord {
                    author: r.get(0)?,
                    role: role_of(r.get(1)?)?,
                    body: r.get(2)?,
                    created_at: r.get(3)?,
                    private: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt =
            c.prepare("SELECT filename, content_type, size, sha256 FROM attachments WHERE ticket_id = ?1 ORDER BY id")?;
        let attachments = stmt
            .query_map([id], |r| {
                Ok(AttachmentInfo { filename: r.get(0)?, content_type: r.get(1)?, size: r.get(2)?, sha256: r.get(3)? })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt =
            c.prepare("SELECT at, actor, action, detail FROM ticket_history WHERE ticket_id = ?1 ORDER BY id")?;
        let history = stmt
            .query_map([id], |r| {
                Ok(HistoryEntry { at: r.get(0)?, actor: r.get(1)?, action: r.get(2)?, detail: r.get(3)? })
            })?
            .collect::<Result<_, _>>()?;
        let (status, title, requester, created_at, updated_at, entity, description) = head;
        Ok(TicketDetail {
            id,
            status,
            title,
            requester,
            created_at,
            updated_at,
            entity,
            description,
            observers: emails(Role::Observer)?,
            technicians: emails(Role::Technician)?,
            followups,
            attachments,
            history,
        })
    }

    /// Sets a ticket's status by hand (operator command, life-cycle timer).
    pub fn set_status(&mut self, id: TicketId, status: Status, actor: &str, at: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let exists: Option<i64> =
            tx.query_row("SELECT id FROM tickets WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("no ticket #{id}")));
        }
        set_status(&tx, id, status, actor, at)?;
        tx.commit()?;
        Ok(())
    }

    /// A stored attachment's bytes, by content address.
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT bytes FROM blobs WHERE sha256 = ?1")?
            .query_row([sha256], |r| r.get(0))
            .optional()?
            .flatten())
    }
}
