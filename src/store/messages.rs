//! The intake record: every mail mailgate was given and what became of it.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::intake::Outcome;
use crate::ticket::TicketId;

/// A mail in `messages list`. The JSON shape is documented in the README.
#[derive(Debug, Clone, Serialize)]
pub struct MessageRecord {
    #[serde(skip)]
    pub id: i64,
    pub message_id: String,
    pub from: Option<String>,
    pub subject: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub ticket_id: Option<TicketId>,
    #[serde(skip)]
    pub received_at: String,
    #[serde(skip)]
    pub source: String,
    /// The source's name for it (a Maildir file name, an IMAP UID).
    #[serde(skip)]
    pub key: String,
    /// The mail's size in bytes, as received (its raw copy may be only its
    /// head, when it was over the size limit).
    pub size: i64,
    /// What could not be read or was cut (a text over the size kept...).
    pub defects: Vec<String>,
    /// The sender's authentication verdict, when `[trust]` was on.
    pub trust: Option<String>,
    /// Held for an operator (`trust.mode = "enforce"`).
    pub quarantined: bool,
}

impl Store {
    /// Whether `source` already handed over the mail it calls `key`: then
    /// the mail was recorded and only its acknowledgment was lost.
    pub fn source_key_known(&self, source: &str, key: &str) -> Result<bool, StoreError> {
        Ok(self.recorded_outcome(source, key)?.is_some())
    }

    /// How many mails from `sender` recorded since `since` (RFC 3339) were
    /// answered: a ticket or a followup, which notify someone. A range
    /// over the received_at index: the last hour's mails only.
    pub fn answered_from_since(&self, sender: &str, since: &str) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM messages WHERE received_at >= ?2 AND sender = ?1
                 AND outcome IN ('ticket_created', 'followup_added') AND replay_of IS NULL",
            )?
            .query_row(params![sender, since], |r| r.get(0))?)
    }

    /// What the mail `source` handed over under `key` was recorded as, if
    /// it was: after a crash between the commit and the acknowledgment, the
    /// source files it by this (a refused mail to the refused folder).
    pub fn recorded_outcome(&self, source: &str, key: &str) -> Result<Option<Outcome>, StoreError> {
        let outcome: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT outcome FROM messages WHERE source = ?1 AND source_key = ?2 AND replay_of IS NULL
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![source, key], |r| r.get(0))
            .optional()?;
        // A word this version does not know is still a recorded mail: it
        // stays out of the refused folder, as an ignored one would.
        Ok(outcome.map(|o| Outcome::parse(&o).unwrap_or(Outcome::Ignored)))
    }

    /// The highest UID recorded for the IMAP source `source` under
    /// `uidvalidity` (its keys are `UIDVALIDITY:UID`): where a folder
    /// tracked by UID resumes. A range over the (source, source_key) index.
    pub fn highest_imap_uid(&self, source: &str, uidvalidity: u32) -> Result<Option<u32>, StoreError> {
        let prefix = format!("{uidvalidity}:");
        // ';' follows ':' in ASCII: the keys of this UIDVALIDITY lie between.
        let end = format!("{uidvalidity};");
        let highest: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT MAX(CAST(substr(source_key, ?4) AS INTEGER)) FROM messages
                 WHERE source = ?1 AND source_key > ?2 AND source_key < ?3",
            )?
            .query_row(params![source, prefix, end, prefix.len() as i64 + 1], |r| r.get(0))?;
        Ok(highest.and_then(|uid| u32::try_from(uid).ok()))
    }

    /// The replay of `message_row` that made a ticket or followup, if any.
    pub fn effective_replay(&self, message_row: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM messages WHERE replay_of = ?1 AND outcome IN ('ticket_created', 'followup_added') LIMIT 1")?
            .query_row(
                [message_row],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The intake record, of one outcome or all, or only the mails held in
    /// quarantine.
    pub fn list_messages(
        &self,
        outcome: Option<Outcome>,
        quarantined_only: bool,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, message_id, sender, subject, outcome, reason, ticket_id, received_at, source, source_key,
                    size, defects, trust, quarantined
             FROM messages WHERE (?1 IS NULL OR outcome = ?1) AND (?2 = 0 OR quarantined = 1) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![outcome.map(Outcome::as_str), quarantined_only], row_to_record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn message(&self, id: i64) -> Result<MessageRecord, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id, message_id, sender, subject, outcome, reason, ticket_id, received_at, source, source_key,
                        size, defects, trust, quarantined
                 FROM messages WHERE id = ?1",
            )?
            .query_row([id], row_to_record)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no message {id}")))
    }

    /// Counts of today's intake by outcome, for the daemon's status line.
    pub fn outcome_counts_since(&self, since: &str) -> Result<Vec<(Outcome, i64)>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT outcome, COUNT(*) FROM messages WHERE received_at >= ?1 GROUP BY outcome")?;
        let rows = stmt.query_map([since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (outcome, n) = row?;
            if let Some(o) = Outcome::parse(&outcome) {
                out.push((o, n));
            }
        }
        Ok(out)
    }
}

pub(super) fn row_to_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRecord> {
    let outcome: String = r.get(4)?;
    Ok(MessageRecord {
        id: r.get(0)?,
        message_id: r.get(1)?,
        from: r.get(2)?,
        subject: r.get(3)?,
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(4, outcome, rusqlite::types::Type::Text))?,
        reason: r.get(5)?,
        ticket_id: r.get(6)?,
        received_at: r.get(7)?,
        source: r.get(8)?,
        key: r.get(9)?,
        size: r.get(10)?,
        defects: r.get::<_, Option<String>>(11)?.map(|d| d.lines().map(str::to_string).collect()).unwrap_or_default(),
        trust: r.get(12)?,
        quarantined: r.get(13)?,
    })
}
