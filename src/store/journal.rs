//! What operators read on the web: the intake journal (every mail and what
//! became of it, refused and ignored ones with their reasons) filtered and
//! a page at a time, a mail's header fields from its raw copy, and the
//! outbox by state, also paged. The same records as `messages list` and
//! `outbox list` ([`MessageRecord`], [`OutboxRow`]), read the newest first.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::messages::row_to_record;
use super::outbox::{COLUMNS, ROWS, row_to_outbox};
use super::queues::{Page, PageRequest};
use super::{MessageRecord, OutboxRow, OutboxState, Store, StoreError};
use crate::intake::Outcome;

/// Filters of the intake journal, combined with AND; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub outcome: Option<Outcome>,
    /// The sender's address, in any case.
    pub sender: Option<String>,
    /// Received at or after this time (RFC 3339, UTC, as stored).
    pub received_from: Option<String>,
    /// Received before this time.
    pub received_until: Option<String>,
    /// Only mails held in quarantine.
    pub quarantined_only: bool,
}

/// The most header fields [`header_fields`] returns: a mail with more is
/// hostile, and the raw copy still shows them all.
pub const MAX_HEADER_FIELDS: usize = 1000;

const MESSAGE_COLUMNS: &str = "id, message_id, sender, subject, outcome, reason, ticket_id, received_at, source,
                               source_key, size, defects, trust, quarantined";

impl Store {
    /// A page of the intake journal, the most recent mail first.
    pub fn journal(&self, filter: &JournalFilter, request: PageRequest) -> Result<Page<MessageRecord>, StoreError> {
        let mut clauses = String::new();
        let mut values = Vec::new();
        let mut and = |clause: &str, value: Option<Value>| {
            clauses.push_str(" AND ");
            clauses.push_str(clause);
            values.extend(value);
        };
        if let Some(outcome) = filter.outcome {
            and("outcome = ?", Some(Value::Text(outcome.as_str().into())));
        }
        if let Some(sender) = &filter.sender {
            and("sender = ?", Some(Value::Text(sender.trim().to_lowercase())));
        }
        if let Some(from) = &filter.received_from {
            and("received_at >= ?", Some(Value::Text(from.clone())));
        }
        if let Some(until) = &filter.received_until {
            and("received_at < ?", Some(Value::Text(until.clone())));
        }
        if filter.quarantined_only {
            and("quarantined = 1", None);
        }
        let _snapshot = self.snapshot()?;
        let total: i64 = self
            .conn
            .prepare(&format!("SELECT COUNT(*) FROM messages WHERE 1{clauses}"))?
            .query_row(params_from_iter(values.iter()), |r| r.get(0))?;
        let mut page = Page::empty(request);
        let (limit, offset) = request.limit_offset();
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE 1{clauses} ORDER BY id DESC LIMIT ? OFFSET ?");
        let values = values.into_iter().chain([Value::Integer(limit), Value::Integer(offset)]);
        let mut stmt = self.conn.prepare(&sql)?;
        page.items = stmt.query_map(params_from_iter(values), row_to_record)?.collect::<Result<_, _>>()?;
        page.total = total;
        Ok(page)
    }

    /// The header fields of a stored mail, from its raw copy (see
    /// [`header_fields`]). NotFound when the mail is unknown or its raw
    /// copy was purged.
    pub fn message_headers(&self, message_row: i64) -> Result<Vec<(String, String)>, StoreError> {
        Ok(header_fields(&self.raw_message(message_row)?))
    }

    /// A page of the outbox, of one state or all, the most recent first.
    pub fn outbox_page(&self, state: Option<OutboxState>, request: PageRequest) -> Result<Page<OutboxRow>, StoreError> {
        let _snapshot = self.snapshot()?;
        let state = state.map(OutboxState::as_str);
        let total: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM outbox WHERE (?1 IS NULL OR state = ?1)")?
            .query_row([state], |r| r.get(0))?;
        let (limit, offset) = request.limit_offset();
        let sql = format!(
            "SELECT {COLUMNS} FROM {ROWS} WHERE (?1 IS NULL OR state = ?1) ORDER BY outbox.id DESC LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut page = Page::empty(request);
        page.items =
            stmt.query_map(rusqlite::params![state, limit, offset], row_to_outbox)?.collect::<Result<_, _>>()?;
        page.total = total;
        Ok(page)
    }
}

/// The header fields of a raw mail as (name, value), in order, folded
/// lines joined, undecoded (an operator looking at headers wants them as
/// sent), bytes that are not UTF-8 replaced. Stops at the blank line, and
/// after [`MAX_HEADER_FIELDS`]. A line that is neither a field nor a
/// continuation is skipped, as mail parsers do.
pub fn header_fields(raw: &[u8]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in raw.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(text.trim());
            }
            continue;
        }
        if fields.len() == MAX_HEADER_FIELDS {
            break;
        }
        if let Some((name, value)) = text.split_once(':')
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_graphic())
        {
            fields.push((name.to_string(), value.trim().to_string()));
        }
    }
    fields
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
