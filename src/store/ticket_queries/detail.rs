//! One ticket's whole story for `tickets show`: its fields, people and
//! groups, followups, solutions, files and history, read with one query
//! each, and the [`TicketDetail::timeline`] that tells them as one audit log;
//! and any of its files, for the staff's download ([`Store::ticket_file`]).

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::type_of;
use crate::store::tickets::{actors, role_of, status_of};
use crate::store::{PublicFileBytes, Store, StoreError};
use crate::ticket::{Role, Status, TicketId, TicketType};

#[derive(Debug, Clone, Serialize)]
pub struct FollowupRecord {
    pub id: i64,
    pub author: String,
    pub role: Role,
    pub body: String,
    pub created_at: String,
    pub private: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    /// The file's row: what the staff page's download link names.
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// The followup that brought it; None for the opening mail's files.
    pub followup_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
    /// Where the change came in: `mail`, `web`, `timer` or `cli` ([`crate::ticket::Door`]).
    pub door: String,
}

/// A group on a ticket: `role` is `assigned` (in charge) or `observer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRecord {
    pub name: String,
    pub role: String,
}

/// A solution a technician proposed; `state` is `waiting`, `accepted` or
/// `rejected`, and `decided_by`/`decided_at` say who answered, and when.
#[derive(Debug, Clone, Serialize)]
pub struct SolutionRecord {
    pub author: String,
    pub body: String,
    pub state: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
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
    #[serde(rename = "type")]
    pub kind: TicketType,
    pub category: Option<String>,
    pub urgency: u8,
    pub impact: u8,
    pub priority: u8,
    pub location: Option<String>,
    /// The routing rule that filed the ticket.
    pub rule: Option<String>,
    pub solved_at: Option<String>,
    pub closed_at: Option<String>,
    pub observers: Vec<String>,
    pub technicians: Vec<String>,
    pub groups: Vec<GroupRecord>,
    pub followups: Vec<FollowupRecord>,
    pub solutions: Vec<SolutionRecord>,
    pub attachments: Vec<AttachmentInfo>,
    pub history: Vec<HistoryEntry>,
    /// What could not be read or was cut in the ticket's mails ("message 12:
    /// the text was cut at 256 KiB…"); their raw copies keep everything.
    pub defects: Vec<String>,
}

/// One line of a ticket's story, in [`TicketDetail::timeline`].
#[derive(Debug, Clone, Copy)]
pub enum TimelineEntry<'a> {
    History(&'a HistoryEntry),
    Followup(&'a FollowupRecord),
    Solution(&'a SolutionRecord),
}

impl TimelineEntry<'_> {
    pub fn at(&self) -> &str {
        match self {
            TimelineEntry::History(h) => &h.at,
            TimelineEntry::Followup(f) => &f.created_at,
            TimelineEntry::Solution(s) => &s.created_at,
        }
    }
}

/// Whether followup `f` is the text of solution `s` (a solution is also
/// recorded as a followup, and carries that followup's files).
fn is_solution_text(f: &FollowupRecord, s: &SolutionRecord) -> bool {
    s.created_at == f.created_at && s.author == f.author && s.body == f.body
}

impl TicketDetail {
    /// The followup that holds solution `s`'s text (and its files).
    pub fn followup_of_solution(&self, s: &SolutionRecord) -> Option<&FollowupRecord> {
        self.followups.iter().find(|f| is_solution_text(f, s))
    }

    /// The group names in `role` (`assigned` or `observer`).
    pub fn groups_in(&self, role: &str) -> Vec<&str> {
        self.groups.iter().filter(|g| g.role == role).map(|g| g.name.as_str()).collect()
    }

    /// History, followups and solutions as one chronological story. The
    /// history's `followup` and `solution_proposed` entries (who, when) are
    /// replaced by the followup or solution they record, so each appears
    /// once, with its text, where its transaction put it; any left over is
    /// placed by time, after whatever happened in the same second.
    pub fn timeline(&self) -> Vec<TimelineEntry<'_>> {
        let mut followups: Vec<Option<&FollowupRecord>> = self.followups.iter().map(Some).collect();
        let mut solutions: Vec<Option<&SolutionRecord>> = self.solutions.iter().map(Some).collect();
        let mut story = Vec::with_capacity(self.history.len() + self.followups.len() + self.solutions.len());
        for h in &self.history {
            let recorded = match h.action.as_str() {
                "followup" => {
                    let followup = take(&mut followups, |f| f.created_at == h.at && f.author == h.actor);
                    // A solution's text is also its followup: shown once, as the solution.
                    let is_solution = followup.is_some_and(|f| self.solutions.iter().any(|s| is_solution_text(f, s)));
                    if is_solution {
                        continue;
                    }
                    followup.map(TimelineEntry::Followup)
                }
                "solution_proposed" => {
                    take(&mut solutions, |s| s.created_at == h.at && s.author == h.actor).map(TimelineEntry::Solution)
                }
                _ => None,
            };
            story.push(recorded.unwrap_or(TimelineEntry::History(h)));
        }
        let followups = followups.into_iter().flatten().map(TimelineEntry::Followup);
        for entry in followups.chain(solutions.into_iter().flatten().map(TimelineEntry::Solution)) {
            let at = story.iter().position(|e| e.at() > entry.at()).unwrap_or(story.len());
            story.insert(at, entry);
        }
        story
    }
}

/// The first record in `slots` that `matches`, taken out of them.
fn take<'a, T>(slots: &mut [Option<&'a T>], matches: impl Fn(&T) -> bool) -> Option<&'a T> {
    slots.iter_mut().find(|slot| slot.is_some_and(&matches))?.take()
}

impl Store {
    pub fn ticket_detail(&self, id: TicketId) -> Result<TicketDetail, StoreError> {
        let c = &self.conn;
        let mut t = c
            .query_row(
                "SELECT status, title, requester, created_at, updated_at, entity, description, type, category,
                        urgency, impact, priority, location, rule, solved_at, closed_at
                 FROM tickets WHERE id = ?1",
                [id],
                |r| {
                    Ok(TicketDetail {
                        id,
                        status: status_of(r.get(0)?)?,
                        title: r.get(1)?,
                        requester: r.get(2)?,
                        created_at: r.get(3)?,
                        updated_at: r.get(4)?,
                        entity: r.get(5)?,
                        description: r.get(6)?,
                        kind: type_of(r.get(7)?)?,
                        category: r.get(8)?,
                        urgency: r.get(9)?,
                        impact: r.get(10)?,
                        priority: r.get(11)?,
                        location: r.get(12)?,
                        rule: r.get(13)?,
                        solved_at: r.get(14)?,
                        closed_at: r.get(15)?,
                        observers: Vec::new(),
                        technicians: Vec::new(),
                        groups: Vec::new(),
                        followups: Vec::new(),
                        solutions: Vec::new(),
                        attachments: Vec::new(),
                        history: Vec::new(),
                        defects: Vec::new(),
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no ticket #{id}")))?;
        let emails =
            |role| -> rusqlite::Result<Vec<String>> { Ok(actors(c, id, role)?.into_iter().map(|p| p.email).collect()) };
        t.observers = emails(Role::Observer)?;
        t.technicians = emails(Role::Technician)?;
        let sql = "SELECT group_name, role FROM ticket_groups WHERE ticket_id = ?1 ORDER BY rowid";
        t.groups = of_ticket(c, sql, id, |r| Ok(GroupRecord { name: r.get(0)?, role: r.get(1)? }))?;
        let sql = "SELECT id, author, role, body, created_at, private FROM followups WHERE ticket_id = ?1 ORDER BY id";
        t.followups = of_ticket(c, sql, id, |r| {
            Ok(FollowupRecord {
                id: r.get(0)?,
                author: r.get(1)?,
                role: role_of(r.get(2)?)?,
                body: r.get(3)?,
                created_at: r.get(4)?,
                private: r.get(5)?,
            })
        })?;
        let sql = "SELECT author, body, state, created_at, decided_at, decided_by FROM solutions
                   WHERE ticket_id = ?1 ORDER BY id";
        t.solutions = of_ticket(c, sql, id, |r| {
            Ok(SolutionRecord {
                author: r.get(0)?,
                body: r.get(1)?,
                state: r.get(2)?,
                created_at: r.get(3)?,
                decided_at: r.get(4)?,
                decided_by: r.get(5)?,
            })
        })?;
        let sql = "SELECT id, filename, content_type, size, sha256, followup_id FROM attachments WHERE ticket_id = ?1
                   ORDER BY id";
        t.attachments = of_ticket(c, sql, id, |r| {
            Ok(AttachmentInfo {
                id: r.get(0)?,
                filename: r.get(1)?,
                content_type: r.get(2)?,
                size: r.get(3)?,
                sha256: r.get(4)?,
                followup_id: r.get(5)?,
            })
        })?;
        let sql = "SELECT at, actor, action, detail, door FROM ticket_history WHERE ticket_id = ?1 ORDER BY id";
        t.history = of_ticket(c, sql, id, |r| {
            Ok(HistoryEntry { at: r.get(0)?, actor: r.get(1)?, action: r.get(2)?, detail: r.get(3)?, door: r.get(4)? })
        })?;
        let sql = "SELECT id, defects FROM messages WHERE ticket_id = ?1 AND defects IS NOT NULL ORDER BY id";
        let by_message = of_ticket(c, sql, id, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        t.defects = by_message
            .into_iter()
            .flat_map(|(message, defects)| {
                defects.lines().map(move |d| format!("message {message}: {d}")).collect::<Vec<_>>()
            })
            .collect();
        Ok(t)
    }
}

impl Store {
    /// Any file of `ticket`, private followups' included, for the staff;
    /// None for a file of another ticket or none at all.
    pub fn ticket_file(&self, ticket: TicketId, file: i64) -> Result<Option<PublicFileBytes>, StoreError> {
        let found = self
            .conn
            .prepare_cached("SELECT filename, content_type, sha256 FROM attachments WHERE id = ?1 AND ticket_id = ?2")?
            .query_row(params![file, ticket], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?)))
            .optional()?;
        let Some((filename, content_type, sha256)) = found else { return Ok(None) };
        Ok(self.blob(&sha256)?.map(|bytes| PublicFileBytes { filename, content_type, bytes }))
    }
}

/// Every row `sql` gives for ticket `id` (its `?1`), read by `row`.
fn of_ticket<T>(
    c: &Connection,
    sql: &str,
    id: TicketId,
    row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = c.prepare(sql)?;
    let rows = stmt.query_map([id], row)?;
    rows.collect()
}
