//! What the staff dashboard shows: tickets by status for one technician,
//! for their groups and for everyone (the last being exactly what `mailgate
//! stats` counts: both read [`status_counts`]); tickets opened and solved
//! per day, days being the institution's (the clock's local zone, as the
//! digest's); the oldest open tickets; and those nobody owns. Read in one
//! snapshot, so that the numbers on one page agree with each other.

use rusqlite::{Connection, params_from_iter};
use serde::Serialize;
use time::{Date, Duration};

use super::queues::{Page, PageRequest, Queue, QueueOrder};
use super::{Store, StoreError, TicketFilter, TicketSummary};
use crate::clock::{Clock, rfc3339};
use crate::ticket::Status;

/// Whose tickets a count covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Everyone,
    /// Assigned to this technician (a lower-cased address).
    Technician(&'a str),
    /// Assigned to one of these groups (configured names); a ticket of two
    /// of them counts once.
    Groups(&'a [String]),
}

/// Tickets by status, every status present (zeros included), in
/// [`Status::ALL`]'s order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCounts(pub Vec<(Status, i64)>);

impl StatusCounts {
    /// The statuses the dashboard shows, as GLPI's does (cancelled is not one).
    pub const SHOWN: [Status; 6] =
        [Status::New, Status::Assigned, Status::Planned, Status::Pending, Status::Solved, Status::Closed];

    fn zeros() -> StatusCounts {
        StatusCounts(Status::ALL.iter().map(|s| (*s, 0)).collect())
    }

    pub fn get(&self, status: Status) -> i64 {
        self.0.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n)
    }

    /// Work still to do: the statuses of [`TicketFilter::OPEN`].
    pub fn open(&self) -> i64 {
        TicketFilter::OPEN.iter().map(|s| self.get(*s)).sum()
    }
}

/// One local day: its date and its bounds in stored (UTC, RFC 3339) time,
/// `start` included, `end` excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRange {
    pub date: Date,
    pub start: String,
    pub end: String,
}

/// The last `n` local days, the oldest first and today last. Each day's
/// midnight is placed with the offset the clock gives for it, so a day of a
/// summer-time change has 23 or 25 hours, as on the wall.
pub fn last_days(clock: &dyn Clock, n: u32) -> Vec<DayRange> {
    let today = clock.local_now().date();
    let midnight = |date: Date| {
        let naive = date.midnight().assume_utc();
        rfc3339(date.midnight().assume_offset(clock.local_offset(naive)))
    };
    (0..i64::from(n))
        .rev()
        .filter_map(|back| {
            let date = today.checked_sub(Duration::days(back))?;
            let next = date.next_day()?;
            Some(DayRange { date, start: midnight(date), end: midnight(next) })
        })
        .collect()
}

/// How many tickets were opened on a day, and how many were solved: whose
/// solution (the latest, if several) was proposed that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayFlow {
    #[serde(serialize_with = "iso_date")]
    pub date: Date,
    pub opened: i64,
    pub solved: i64,
}

/// A date as `YYYY-MM-DD` (time's own serde support is not built in).
fn iso_date<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()))
}

/// Everything on the dashboard of one technician.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub mine: StatusCounts,
    pub my_groups: StatusCounts,
    pub everyone: StatusCounts,
    pub flow: Vec<DayFlow>,
    /// The oldest open tickets, oldest first.
    pub oldest_open: Vec<TicketSummary>,
    /// Open tickets with no technician and no group, the most urgent first.
    pub unowned: Page<TicketSummary>,
}

/// How many tickets the dashboard lists in each of its lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardSizes {
    pub oldest_open: u32,
    pub unowned: u32,
}

impl Default for DashboardSizes {
    fn default() -> Self {
        DashboardSizes { oldest_open: 10, unowned: 10 }
    }
}

/// Tickets of `scope` by status: the one count behind `mailgate stats` and
/// the dashboard.
pub(super) fn status_counts(conn: &Connection, scope: Scope<'_>) -> Result<StatusCounts, StoreError> {
    let mut counts = StatusCounts::zeros();
    let (sql, values): (String, Vec<String>) = match scope {
        Scope::Everyone => ("SELECT status, COUNT(*) FROM tickets GROUP BY status".into(), Vec::new()),
        // Driven from the technician's rows in actors (its email index),
        // not from every ticket.
        Scope::Technician(me) => (
            "SELECT t.status, COUNT(*) FROM actors a JOIN tickets t ON t.id = a.ticket_id
             WHERE a.email = ?1 AND a.role = 'technician' GROUP BY t.status"
                .into(),
            vec![me.trim().to_lowercase()],
        ),
        Scope::Groups([]) => return Ok(counts),
        Scope::Groups(groups) => (
            format!(
                "SELECT t.status, COUNT(*) FROM tickets t WHERE t.id IN (
                     SELECT g.ticket_id FROM ticket_groups g WHERE g.role = 'assigned' AND g.group_name IN ({}))
                 GROUP BY t.status",
                vec!["?"; groups.len()].join(", ")
            ),
            groups.iter().map(|g| g.trim().to_string()).collect(),
        ),
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    for row in stmt.query_map(params_from_iter(values), |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (status, n) = row?;
        if let Some(entry) = counts.0.iter_mut().find(|(s, _)| s.as_str() == status) {
            entry.1 = n;
        }
    }
    Ok(counts)
}

impl Store {
    /// Tickets of `scope` by status.
    pub fn status_counts(&self, scope: Scope<'_>) -> Result<StatusCounts, StoreError> {
        status_counts(&self.conn, scope)
    }

    /// Tickets opened and solved on each of `days`. Two counts per day over
    /// the indexes on `created_at` and `(status, solved_at)`: nothing else
    /// of the tickets is read.
    pub fn daily_flow(&self, days: &[DayRange]) -> Result<Vec<DayFlow>, StoreError> {
        let mut opened =
            self.conn.prepare_cached("SELECT COUNT(*) FROM tickets WHERE created_at >= ?1 AND created_at < ?2")?;
        // Every status listed: solved_at stays set once a ticket is closed,
        // and the list lets the (status, solved_at) index serve the range.
        let mut solved = self.conn.prepare_cached(
            "SELECT COUNT(*) FROM tickets
             WHERE status IN ('new','assigned','planned','pending','solved','closed','cancelled')
               AND solved_at >= ?1 AND solved_at < ?2",
        )?;
        days.iter()
            .map(|d| {
                Ok(DayFlow {
                    date: d.date,
                    opened: opened.query_row([&d.start, &d.end], |r| r.get(0))?,
                    solved: solved.query_row([&d.start, &d.end], |r| r.get(0))?,
                })
            })
            .collect()
    }

    /// The dashboard of technician `me`, member of `my_groups`, over
    /// `days` (see [`last_days`]), in one snapshot. What every technician
    /// sees alike is computed once per state of the database ([`memo`]).
    pub fn dashboard(
        &self,
        me: &str,
        my_groups: &[String],
        days: &[DayRange],
        sizes: DashboardSizes,
    ) -> Result<Dashboard, StoreError> {
        let memo = memo::of(&self.conn);
        let before = memo.as_deref().and_then(memo::version);
        let _snapshot = self.snapshot()?;
        // The first read starts the snapshot; a version unchanged across it
        // means the snapshot is that version's state.
        let mine = self.status_counts(Scope::Technician(me))?;
        let after = memo.as_deref().and_then(memo::version);
        let stable = memo.as_deref().zip(before.filter(|v| after == Some(*v)));
        let asked = (days.to_vec(), sizes);
        let shared = match stable.and_then(|(m, v)| memo::recall(m, v, &asked)) {
            Some(shared) => shared,
            None => {
                let shared = self.shared_parts(days, sizes)?;
                if let Some((m, v)) = stable {
                    memo::count_computed(m);
                    memo::remember(m, v, asked, shared.clone());
                }
                shared
            }
        };
        Ok(Dashboard {
            mine,
            my_groups: self.status_counts(Scope::Groups(my_groups))?,
            everyone: shared.everyone,
            flow: shared.flow,
            oldest_open: shared.oldest_open,
            unowned: shared.unowned,
        })
    }

    /// The parts of a dashboard that do not depend on who reads it.
    fn shared_parts(&self, days: &[DayRange], sizes: DashboardSizes) -> Result<memo::Shared, StoreError> {
        let open = TicketFilter::default();
        Ok(memo::Shared {
            everyone: self.status_counts(Scope::Everyone)?,
            flow: self.daily_flow(days)?,
            oldest_open: self
                .queue(Queue::All, &open, QueueOrder::Oldest, PageRequest::first(sizes.oldest_open))?
                .items,
            unowned: self.queue(
                Queue::Unowned,
                &open,
                QueueOrder::PriorityThenAge,
                PageRequest::first(sizes.unowned),
            )?,
        })
    }
}

#[path = "dashboard_memo.rs"]
mod memo;

#[cfg(test)]
#[path = "dashboard_tests.rs"]
mod tests;
