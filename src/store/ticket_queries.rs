//! The reads behind `tickets list` and `tickets show`, apart from the writes
//! in [`super::tickets`] because they answer another question: not "what
//! does this mail change" inside the intake's transaction, but "which
//! tickets" and "what happened to this one", asked by an operator over a
//! helpdesk of tens of thousands of tickets. So every filter is SQL, built
//! from fixed fragments with bound values, and the people and groups a
//! ticket's filter looks at are EXISTS lookups on the indexes of `actors`
//! and `ticket_groups`; nothing is loaded to be thrown away in Rust. One
//! ticket's story, for `show`, is read in [`detail`].

use rusqlite::types::{Type, Value};
use rusqlite::{Row, params_from_iter};
use serde::Serialize;

mod detail;

pub use detail::{
    AttachmentInfo, FollowupRecord, GroupRecord, HistoryEntry, SolutionRecord, TicketDetail, TimelineEntry,
};

use super::tickets::status_of;
use super::{Store, StoreError};
use crate::ticket::{Status, TicketId, TicketType};

/// A ticket in a list. The JSON shape is documented in the README: keep
/// its keys, add new ones only.
#[derive(Debug, Clone, Serialize)]
pub struct TicketSummary {
    pub id: TicketId,
    pub status: Status,
    pub title: String,
    pub requester: String,
    /// How many followups it has.
    pub followups: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "type")]
    pub kind: TicketType,
    pub entity: String,
    pub category: Option<String>,
    pub urgency: u8,
    pub impact: u8,
    pub priority: u8,
    /// The groups in charge (role `assigned`), in the order they were added.
    pub assigned_groups: Vec<String>,
    pub technicians: Vec<String>,
}

/// Filters for `tickets list`, combined with AND; empty or `None` means any.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    /// An assigned group (not an observer group), by name, ASCII case-insensitive.
    pub group: Option<String>,
    /// A technician's address.
    pub technician: Option<String>,
    /// This category or one under it: "Scolarité" matches "Scolarité > LSU".
    pub category: Option<String>,
    pub requester: Option<String>,
    /// This entity or one under it, like `category`.
    pub entity: Option<String>,
    /// Words that must each appear in the title, the description or a followup.
    pub text: Option<String>,
    /// At most this many tickets, the most recently updated.
    pub limit: Option<u32>,
}

impl TicketFilter {
    /// The statuses of `--open`: work still to do.
    pub const OPEN: [Status; 4] = [Status::New, Status::Assigned, Status::Planned, Status::Pending];
}

/// A column whose values are paths such as "Scolarité > LSU".
#[derive(Debug, Clone, Copy)]
enum PathColumn {
    Category,
    Entity,
}

/// SQL assembled from fixed fragments, with every value bound.
pub(super) struct Query {
    pub(super) sql: String,
    pub(super) values: Vec<Value>,
}

impl Query {
    pub(super) fn and(&mut self, clause: &str, values: impl IntoIterator<Item = Value>) {
        self.sql.push_str("\n  AND ");
        self.sql.push_str(clause);
        self.values.extend(values);
    }
}

pub(super) const LIST_SELECT: &str = "SELECT t.id, t.status, t.title, t.requester, t.created_at,
       (SELECT COUNT(*) FROM followups f WHERE f.ticket_id = t.id),
       t.updated_at, t.type, t.entity, t.category, t.urgency, t.impact, t.priority,
       (SELECT json_group_array(g.group_name ORDER BY g.rowid) FROM ticket_groups g
         WHERE g.ticket_id = t.id AND g.role = 'assigned'),
       (SELECT json_group_array(a.email ORDER BY a.rowid) FROM actors a
         WHERE a.ticket_id = t.id AND a.role = 'technician')
FROM tickets t
WHERE 1";

impl Store {
    /// The tickets `filter` selects, the most recently updated first.
    pub fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketSummary>, StoreError> {
        let Some(query) = self.list_query(filter)? else { return Ok(Vec::new()) };
        let mut stmt = self.conn.prepare(&query.sql)?;
        let rows = stmt.query_map(params_from_iter(query.values), summary)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The query for `filter`, or `None` when it can match nothing (a
    /// category or entity that no ticket has).
    fn list_query(&self, filter: &TicketFilter) -> Result<Option<Query>, StoreError> {
        let Some(mut q) = self.filtered(LIST_SELECT, filter)? else { return Ok(None) };
        q.sql.push_str("\nORDER BY t.updated_at DESC, t.id DESC LIMIT ?");
        q.values.push(Value::Integer(filter.limit.map_or(-1, i64::from)));
        Ok(Some(q))
    }

    /// `select` (which ends in a `WHERE` over `tickets t`) narrowed by
    /// `filter`'s conditions, without order or limit: the queues and their
    /// counts share the filters of `tickets list`. `None` when it can match
    /// nothing.
    pub(super) fn filtered(&self, select: &str, filter: &TicketFilter) -> Result<Option<Query>, StoreError> {
        let mut q = Query { sql: select.to_string(), values: Vec::new() };
        if !filter.statuses.is_empty() {
            let marks = vec!["?"; filter.statuses.len()].join(", ");
            q.and(&format!("t.status IN ({marks})"), filter.statuses.iter().map(|s| text(s.as_str())));
        }
        if let Some(group) = &filter.group {
            q.and(
                "EXISTS (SELECT 1 FROM ticket_groups g WHERE g.ticket_id = t.id AND g.role = 'assigned'
                          AND g.group_name = ? COLLATE NOCASE)",
                [text(group.trim())],
            );
        }
        if let Some(technician) = &filter.technician {
            q.and(
                "EXISTS (SELECT 1 FROM actors a WHERE a.ticket_id = t.id AND a.role = 'technician' AND a.email = ?)",
                [text(&technician.trim().to_lowercase())],
            );
        }
        if let Some(requester) = &filter.requester {
            q.and("t.requester = ?", [text(&requester.trim().to_lowercase())]);
        }
        for (column, wanted) in [(PathColumn::Category, &filter.category), (PathColumn::Entity, &filter.entity)] {
            let Some(wanted) = wanted else { continue };
            let values = self.values_under(column, wanted)?;
            if values.is_empty() {
                return Ok(None);
            }
            let marks = vec!["?"; values.len()].join(", ");
            let column = match column {
                PathColumn::Category => "t.category",
                PathColumn::Entity => "t.entity",
            };
            q.and(&format!("{column} IN ({marks})"), values.into_iter().map(Value::Text));
        }
        for word in filter.text.as_deref().unwrap_or_default().split_whitespace() {
            let like = format!("%{}%", word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            q.and(
                "(t.title LIKE ? ESCAPE '\\' OR t.description LIKE ? ESCAPE '\\'
                  OR EXISTS (SELECT 1 FROM followups f WHERE f.ticket_id = t.id AND f.body LIKE ? ESCAPE '\\'))",
                [text(&like), text(&like), text(&like)],
            );
        }
        Ok(Some(q))
    }

    /// The stored values of `column` equal to `wanted` or under it,
    /// compared segment by segment and case-insensitively in full Unicode
    /// ("école" is "ÉCOLE"), which SQLite's own `lower()` and `LIKE` do for
    /// ASCII only. A helpdesk has a few hundred categories and entities, so
    /// this reads that many distinct values, not the tickets.
    fn values_under(&self, column: PathColumn, wanted: &str) -> Result<Vec<String>, StoreError> {
        let sql = match column {
            PathColumn::Category => "SELECT DISTINCT category FROM tickets WHERE category IS NOT NULL",
            PathColumn::Entity => "SELECT DISTINCT entity FROM tickets",
        };
        let wanted = path_segments(wanted);
        let mut stmt = self.conn.prepare(sql)?;
        let values = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(values.into_iter().filter(|v| path_segments(v).starts_with(&wanted)).collect())
    }
}

pub(super) fn summary(r: &Row<'_>) -> rusqlite::Result<TicketSummary> {
    Ok(TicketSummary {
        id: r.get(0)?,
        status: status_of(r.get(1)?)?,
        title: r.get(2)?,
        requester: r.get(3)?,
        created_at: r.get(4)?,
        followups: r.get(5)?,
        updated_at: r.get(6)?,
        kind: type_of(r.get(7)?)?,
        entity: r.get(8)?,
        category: r.get(9)?,
        urgency: r.get(10)?,
        impact: r.get(11)?,
        priority: r.get(12)?,
        assigned_groups: string_list(13, r.get(13)?)?,
        technicians: string_list(14, r.get(14)?)?,
    })
}

pub(super) fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// "Scolarité > LSU" as `["scolarité", "lsu"]`: spaces around `>` and case
/// do not matter.
fn path_segments(path: &str) -> Vec<String> {
    path.split('>').map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()).collect()
}

pub(super) fn type_of(s: String) -> rusqlite::Result<TicketType> {
    TicketType::parse(&s).ok_or_else(|| rusqlite::Error::InvalidColumnType(0, format!("type {s}"), Type::Text))
}

/// A JSON array of strings built by `json_group_array`.
fn string_list(column: usize, json: String) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(&json).map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e)))
}

#[cfg(test)]
mod tests;
