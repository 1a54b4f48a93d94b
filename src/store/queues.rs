//! The technicians' work queues: what is mine, what my groups have that no
//! technician took, every open ticket, and what nobody owns. Each is the
//! filters of `tickets list` ([`TicketFilter`]) plus the queue's own
//! condition, read a page at a time with the queue's total, the most urgent
//! first (priority, highest first) and, among equals, the oldest first, so
//! that nothing waits forever behind newer tickets of the same priority.

use rusqlite::params_from_iter;
use rusqlite::types::Value;
use serde::Serialize;

use super::ticket_queries::{LIST_SELECT, Query, summary, text};
use super::{Store, StoreError, TicketFilter, TicketSummary};

/// Which tickets a queue holds, before the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue<'a> {
    /// Tickets this technician (a lower-cased address) is assigned to.
    Mine(&'a str),
    /// Tickets assigned to one of these groups (their configured names)
    /// that no technician has taken yet.
    GroupsUnassigned(&'a [String]),
    /// Every ticket the filters select.
    All,
    /// Tickets with neither a technician nor an assigned group: the
    /// dispatcher's work.
    Unowned,
}

/// How a queue is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    /// Highest priority first, then oldest, then lowest number.
    PriorityThenAge,
    /// Oldest first, whatever the priority (the dashboard's "oldest open").
    Oldest,
}

/// Which page: 1 is the first. A size of 0 is taken as 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub size: u32,
}

impl PageRequest {
    /// The most a page may hold: a bigger request is cut to it.
    pub const MAX_SIZE: u32 = 500;

    pub fn first(size: u32) -> PageRequest {
        PageRequest { page: 1, size }
    }

    pub(super) fn limit_offset(self) -> (i64, i64) {
        let size = i64::from(self.size.clamp(1, Self::MAX_SIZE));
        (size, (i64::from(self.page.max(1)) - 1) * size)
    }
}

/// One page of a longer list, with how many there are in all.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Every item the list holds, on any page.
    pub total: i64,
    pub page: u32,
    pub size: u32,
}

impl<T> Page<T> {
    /// How many pages the list fills (at least 1, an empty list's).
    pub fn pages(&self) -> u32 {
        let size = i64::from(self.size.max(1));
        u32::try_from(((self.total + size - 1) / size).max(1)).unwrap_or(u32::MAX)
    }

    pub(super) fn empty(request: PageRequest) -> Page<T> {
        Page {
            items: Vec::new(),
            total: 0,
            page: request.page.max(1),
            size: request.size.clamp(1, PageRequest::MAX_SIZE),
        }
    }
}

const COUNT_SELECT: &str = "SELECT COUNT(*) FROM tickets t WHERE 1";
const ID_SELECT: &str = "SELECT t.id, COUNT(*) OVER () FROM tickets t WHERE 1";

impl Store {
    /// A page of `queue` narrowed by `filter` (whose `limit` is ignored: the
    /// page says how many). With no status in `filter`, the open ones
    /// ([`TicketFilter::OPEN`]): a queue is work still to do.
    pub fn queue(
        &self,
        queue: Queue<'_>,
        filter: &TicketFilter,
        order: QueueOrder,
        request: PageRequest,
    ) -> Result<Page<TicketSummary>, StoreError> {
        let mut filter = filter.clone();
        if filter.statuses.is_empty() {
            filter.statuses = TicketFilter::OPEN.to_vec();
        }
        let Some(mut ids) = self.queue_query(ID_SELECT, queue, &filter)? else {
            return Ok(Page::empty(request));
        };
        // One snapshot for the page and its total.
        let _snapshot = self.snapshot()?;
        // The page's numbers first, with the queue's total counted by the
        // same pass (a window over the filtered rows, before LIMIT): the
        // filters run once, and the sort holds ticket numbers only.
        ids.sql.push_str(match order {
            QueueOrder::PriorityThenAge => "\nORDER BY t.priority DESC, t.created_at, t.id LIMIT ? OFFSET ?",
            QueueOrder::Oldest => "\nORDER BY t.created_at, t.id LIMIT ? OFFSET ?",
        });
        let (limit, offset) = request.limit_offset();
        ids.values.extend([Value::Integer(limit), Value::Integer(offset)]);
        let mut page = Page::empty(request);
        let mut numbers: Vec<i64> = Vec::new();
        {
            let mut stmt = self.conn.prepare(&ids.sql)?;
            let mut rows = stmt.query(params_from_iter(ids.values))?;
            while let Some(row) = rows.next()? {
                numbers.push(row.get(0)?);
                page.total = row.get(1)?;
            }
        }
        if numbers.is_empty() {
            // Past the last page (or an empty queue): the total alone.
            let count = self
                .queue_query(COUNT_SELECT, queue, &filter)?
                .ok_or_else(|| StoreError::NotFound("the queue's count could not be built".into()))?;
            page.total = self.conn.prepare(&count.sql)?.query_row(params_from_iter(count.values), |r| r.get(0))?;
            return Ok(page);
        }
        // Then the summaries (followups, groups, technicians: subqueries)
        // of this page's tickets only, put back in the page's order.
        let sql = format!("{LIST_SELECT}\n  AND t.id IN ({})", vec!["?"; numbers.len()].join(", "));
        let mut stmt = self.conn.prepare(&sql)?;
        let mut items = stmt.query_map(params_from_iter(numbers.iter()), summary)?.collect::<Result<Vec<_>, _>>()?;
        items.sort_by_key(|t| numbers.iter().position(|n| *n == t.id));
        page.items = items;
        Ok(page)
    }

    /// A read transaction, so that several reads see one state, unless one
    /// is open already (the dashboard's, around its queues).
    pub(super) fn snapshot(&self) -> Result<Option<rusqlite::Transaction<'_>>, StoreError> {
        Ok(if self.conn.is_autocommit() { Some(self.conn.unchecked_transaction()?) } else { None })
    }

    fn queue_query(&self, select: &str, queue: Queue<'_>, filter: &TicketFilter) -> Result<Option<Query>, StoreError> {
        let Some(mut q) = self.filtered(select, filter)? else { return Ok(None) };
        const NO_TECHNICIAN: &str =
            "NOT EXISTS (SELECT 1 FROM actors a WHERE a.ticket_id = t.id AND a.role = 'technician')";
        match queue {
            Queue::Mine(me) => q.and(
                "t.id IN (SELECT a.ticket_id FROM actors a WHERE a.email = ? AND a.role = 'technician')",
                [text(&me.trim().to_lowercase())],
            ),
            Queue::GroupsUnassigned([]) => return Ok(None),
            Queue::GroupsUnassigned(groups) => {
                let marks = vec!["?"; groups.len()].join(", ");
                q.and(
                    &format!(
                        "t.id IN (SELECT g.ticket_id FROM ticket_groups g
                                  WHERE g.group_name IN ({marks}) AND g.role = 'assigned')"
                    ),
                    groups.iter().map(|g| text(g.trim())),
                );
                q.and(NO_TECHNICIAN, []);
            }
            Queue::All => {}
            Queue::Unowned => {
                q.and(NO_TECHNICIAN, []);
                q.and(
                    "NOT EXISTS (SELECT 1 FROM ticket_groups g WHERE g.ticket_id = t.id AND g.role = 'assigned')",
                    [],
                );
            }
        }
        Ok(Some(q))
    }
}

#[cfg(test)]
#[path = "queues_tests.rs"]
pub(crate) mod tests;
