//! The write transaction as the rest of the crate sees it: a [`Tx`] over the
//! connection of one savepoint, with one method per row to read or write.
//! It holds SQL only; what to write (the initial status, which notification
//! goes to whom, what an auto-close does) is decided in [`crate::desk`],
//! which reads through a `Tx`, asks its pure rules, and writes through it.
//!
//! How a `Tx` is opened is the store's business and stays as it was: a mail
//! gets a savepoint of the batch's `BEGIN IMMEDIATE` transaction (group
//! commit, [`Store::write`]); the timer's tickets each get a savepoint of a
//! transaction of their own ([`Store::write_each`]); the digest takes an
//! immediate transaction of its own ([`Store::write_alone`]).

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::changes::{self, ChangeContext};
use super::{Store, StoreError, notification_files, tickets};
use crate::lifecycle::{Change, TicketFacts};
use crate::mail::{Attachment, Mailbox};
use crate::news::{FileNote, HistoryNote, Notification, TicketContext};
use crate::routing::Routing;
use crate::ticket::{Door, Role, Status, TicketId};

use super::rows::Received;

/// The open savepoint's connection, and the door its changes came through
/// (written on every history line).
pub struct Tx<'c> {
    pub(super) conn: &'c Connection,
    pub(super) door: Door,
}

/// A new ticket's row, decided by [`crate::desk`].
pub struct NewTicketRow<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub status: Status,
    pub routing: &'a Routing,
    pub requester: &'a str,
    pub related: Option<TicketId>,
    pub at: &'a str,
}

/// A followup's row.
pub struct FollowupRow<'a> {
    pub ticket: TicketId,
    /// The mail that brought it; None for the web and the other doors.
    pub message_row: Option<i64>,
    pub author: &'a Mailbox,
    pub role: Role,
    pub body: &'a str,
    pub private: bool,
    pub at: &'a str,
}

/// An item of [`Store::write_each`] and what became of it.
pub type Each<I, T, E> = (I, Result<T, E>);

impl Store {
    /// Runs `f` in a savepoint of the batch's transaction (opened `BEGIN
    /// IMMEDIATE` when none is): an error rolls back this work alone. Without
    /// group commit the transaction is committed at once; with it, the next
    /// [`Store::make_durable`] commits the batch.
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        door: Door,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.begin_batch()?;
        let conn = &mut self.conn;
        let result = (|| {
            // Dropped uncommitted, the savepoint rolls back this work alone;
            // the mails before it in the batch stay.
            let savepoint = conn.savepoint().map_err(StoreError::from)?;
            let value = f(&Tx { conn: &savepoint, door })?;
            savepoint.commit().map_err(StoreError::from)?;
            Ok(value)
        })();
        if !self.group_commit {
            self.end_batch(result.is_ok())?;
        }
        result
    }

    /// Runs `f` on each item in a savepoint of its own, in one transaction
    /// committed before returning (a batch left open by group commit is
    /// committed first: a transaction cannot start inside it). An item that
    /// fails rolls back alone; its error is in the answer beside it.
    pub fn write_each<I: Copy, T, E: From<StoreError>>(
        &mut self,
        door: Door,
        items: &[I],
        mut f: impl FnMut(&Tx<'_>, I) -> Result<T, E>,
    ) -> Result<Vec<Each<I, T, E>>, StoreError> {
        self.end_batch(true)?;
        let mut tx = self.conn.transaction()?;
        let mut done = Vec::with_capacity(items.len());
        for &item in items {
            let savepoint = tx.savepoint()?;
            let result = f(&Tx { conn: &savepoint, door }, item);
            if result.is_ok() {
                savepoint.commit()?;
            }
            done.push((item, result));
        }
        tx.commit()?;
        Ok(done)
    }

    /// Runs `f` in an immediate transaction of its own, committed when it
    /// succeeds (after committing a batch left open by group commit).
    pub fn write_alone<T, E: From<StoreError>>(
        &mut self,
        door: Door,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.end_batch(true)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
        let value = f(&Tx { conn: &tx, door })?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// The tickets solved at or before `cutoff` (RFC 3339) and still waiting.
    pub fn solved_before(&self, cutoff: &str) -> Result<Vec<TicketId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM tickets WHERE status = 'solved' AND solved_at IS NOT NULL AND solved_at <= ?1 ORDER BY id",
        )?;
        Ok(stmt.query_map([cutoff], |r| r.get(0))?.collect::<Result<_, _>>()?)
    }
}

impl Tx<'_> {
    pub fn door(&self) -> Door {
        self.door
    }

    /// Records a mail (and its raw copy); returns its row.
    pub fn insert_message(
        &self,
        received: &Received<'_>,
        mail: Option<&crate::mail::InboundMail>,
        outcome: crate::intake::Outcome,
        reason: Option<&str>,
        quarantined: bool,
    ) -> Result<i64, StoreError> {
        super::rows::insert_message(self.conn, received, mail, outcome, reason, quarantined)
    }

    /// Files the mail of `message_row` under `ticket`.
    pub fn set_message_ticket(&self, message_row: i64, ticket: TicketId) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE messages SET ticket_id = ?1 WHERE id = ?2")?
            .execute(params![ticket, message_row])?;
        Ok(())
    }

    pub fn insert_ticket(&self, t: &NewTicketRow<'_>) -> Result<TicketId, StoreError> {
        super::rows::insert_ticket(self.conn, t)
    }

    pub fn add_actor(&self, ticket: TicketId, role: Role, who: &Mailbox) -> Result<(), StoreError> {
        Ok(tickets::add_actor(self.conn, ticket, role, who)?)
    }

    /// One line of the ticket's audit log, with this transaction's door.
    pub fn history(
        &self,
        ticket: TicketId,
        at: &str,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        Ok(tickets::history(self.conn, self.door, ticket, at, actor, action, detail)?)
    }

    /// Adds a followup; returns its row.
    pub fn add_followup(&self, f: &FollowupRow<'_>) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO followups (ticket_id, message_row_id, author, author_name, role, body, private, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                f.ticket,
                f.message_row,
                f.author.address,
                f.author.name,
                f.role.as_str(),
                f.body,
                f.private,
                f.at
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stores files on `ticket` (and its followup, and the mail that brought them).
    pub fn add_attachments(
        &self,
        ticket: TicketId,
        followup: Option<i64>,
        message_row: Option<i64>,
        files: &[Attachment],
    ) -> Result<(), StoreError> {
        super::rows::store_attachments(self.conn, ticket, followup, message_row, files)
    }

    /// Applies `changes`, each with its history line.
    pub fn apply_changes(&self, context: &ChangeContext<'_>, changes: &[Change]) -> Result<(), StoreError> {
        changes::apply(self, context, changes)
    }

    /// Marks the ticket as changed at `at`.
    pub fn touch(&self, ticket: TicketId, at: &str) -> Result<(), StoreError> {
        self.conn.prepare_cached("UPDATE tickets SET updated_at = ?1 WHERE id = ?2")?.execute(params![at, ticket])?;
        Ok(())
    }

    /// The ticket as notifications describe it, as it stands in this transaction.
    pub fn ticket_context(&self, ticket: TicketId) -> Result<TicketContext, StoreError> {
        tickets::context(self.conn, ticket)
    }

    /// What the life cycle needs to know of `ticket`; None when there is none.
    /// The ticket's status as it stands in this transaction.
    pub fn ticket_status(&self, ticket: TicketId) -> Result<Status, StoreError> {
        let status: String =
            self.conn.prepare_cached("SELECT status FROM tickets WHERE id = ?1")?.query_row([ticket], |r| r.get(0))?;
        Status::parse(&status)
            .ok_or_else(|| StoreError::Refused(format!("ticket #{ticket} has an unknown status {status:?}")))
    }

    pub fn ticket_facts(&self, ticket: TicketId) -> Result<Option<TicketFacts>, StoreError> {
        Ok(super::view::facts(self.conn, ticket)?)
    }

    /// The files mail `message_row` brought that may travel (not a private followup's).
    pub fn mail_files(&self, message_row: i64) -> Result<Vec<FileNote>, StoreError> {
        Ok(notification_files::of_mail(self.conn, message_row)?)
    }

    /// The files of `followup`, unless it is private.
    pub fn followup_files(&self, followup: i64) -> Result<Vec<FileNote>, StoreError> {
        Ok(notification_files::of_followup(self.conn, followup)?)
    }

    /// The `limit` latest public followups of `ticket`, newest first, but `except`.
    pub fn recent_followups(
        &self,
        ticket: TicketId,
        except: Option<i64>,
        limit: usize,
    ) -> Result<Vec<HistoryNote>, StoreError> {
        Ok(notification_files::history(self.conn, ticket, except, limit)?)
    }

    /// Puts a finished notification in the outbox, with the files it carries.
    pub fn queue_notification(&self, n: &Notification, at: &str) -> Result<i64, StoreError> {
        let rows = self.queue_notifications(std::slice::from_ref(n), at)?;
        rows.first().copied().ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Puts the notifications of one event in the outbox, the same words
    /// stored once for all who get them; returns their rows in order.
    pub fn queue_notifications(&self, notifications: &[Notification], at: &str) -> Result<Vec<i64>, StoreError> {
        let rows = super::outbox::insert(self.conn, notifications, at)?;
        for (row, n) in rows.iter().zip(notifications) {
            notification_files::link(self.conn, *row, &n.attachments)?;
        }
        Ok(rows)
    }

    /// How many notifications of `event` went to `recipient` since `since` (RFC 3339).
    pub fn notifications_since(&self, event: &str, recipient: &str, since: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM outbox WHERE event = ?1 AND recipient = ?2 AND created_at >= ?3")?
            .query_row(params![event, recipient, since], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }
}
