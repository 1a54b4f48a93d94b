//! What every technician's dashboard shows alike (the counts for everyone,
//! the 30 days of flow, the oldest open and the unowned tickets), computed
//! once per state of the database and shared by every connection of the
//! process: 20 technicians opening their dashboards between two commits
//! cost one computation of these, two thirds of a dashboard's time over
//! 10,000 tickets (bench/web).
//!
//! The state is told by `PRAGMA data_version` on one read-only connection
//! per database (the probe), which changes whenever any other connection,
//! of this process or another, commits. A dashboard probes before its
//! snapshot starts and again after its first read: equal versions mean no
//! commit came between, so the snapshot is exactly that version's state,
//! and only then is a remembered part used, or a computed one remembered.
//! A remembered part is therefore never served after a commit.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rusqlite::{Connection, OpenFlags};

use super::{DashboardSizes, DayFlow, DayRange, Page, StatusCounts, TicketSummary};

/// The technician-independent parts of a dashboard.
#[derive(Debug, Clone)]
pub(super) struct Shared {
    pub everyone: StatusCounts,
    pub flow: Vec<DayFlow>,
    pub oldest_open: Vec<TicketSummary>,
    pub unowned: Page<TicketSummary>,
}

/// What the parts were computed for: the days and the list sizes asked.
type Asked = (Vec<DayRange>, DashboardSizes);

pub(super) struct Memo {
    probe: Connection,
    latest: Option<(i64, Asked, Shared)>,
    /// Parts computed since the process started (for the tests).
    computed: u64,
}

/// Databases remembered at once, beyond which all are forgotten.
const MAX_DATABASES: usize = 8;

/// One probe and one remembered state per database file.
fn memos() -> &'static Mutex<HashMap<PathBuf, Arc<Mutex<Memo>>>> {
    static MEMOS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<Memo>>>>> = OnceLock::new();
    MEMOS.get_or_init(Mutex::default)
}

/// The memo of the database `conn` reads, None for an in-memory database,
/// a connection inside a transaction of its own (whose view may not be the
/// latest), or a probe that cannot be opened (the dashboard is then simply
/// computed).
pub(super) fn of(conn: &Connection) -> Option<Arc<Mutex<Memo>>> {
    if !conn.is_autocommit() {
        return None;
    }
    let path = PathBuf::from(conn.path().filter(|p| !p.is_empty())?);
    let mut all = memos().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(memo) = all.get(&path) {
        return Some(memo.clone());
    }
    // A daemon reads one database; a process that reads many (the tests)
    // must not keep a probe open on each.
    if all.len() >= MAX_DATABASES {
        all.clear();
    }
    let probe = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    let memo = Arc::new(Mutex::new(Memo { probe, latest: None, computed: 0 }));
    all.insert(path, memo.clone());
    Some(memo)
}

pub(super) fn version(memo: &Mutex<Memo>) -> Option<i64> {
    let memo = memo.lock().unwrap_or_else(PoisonError::into_inner);
    memo.probe.pragma_query_value(None, "data_version", |r| r.get(0)).ok()
}

/// The parts remembered for `version` and `asked`, if any.
pub(super) fn recall(memo: &Mutex<Memo>, version: i64, asked: &Asked) -> Option<Shared> {
    let memo = memo.lock().unwrap_or_else(PoisonError::into_inner);
    let (v, a, shared) = memo.latest.as_ref()?;
    (*v == version && a == asked).then(|| shared.clone())
}

/// Remembers parts computed from exactly the state of `version`.
pub(super) fn remember(memo: &Mutex<Memo>, version: i64, asked: Asked, shared: Shared) {
    let mut memo = memo.lock().unwrap_or_else(PoisonError::into_inner);
    memo.latest = Some((version, asked, shared));
}

pub(super) fn count_computed(memo: &Mutex<Memo>) {
    memo.lock().unwrap_or_else(PoisonError::into_inner).computed += 1;
}

#[cfg(test)]
pub(super) fn computed(conn: &Connection) -> u64 {
    of(conn).map_or(0, |m| m.lock().unwrap_or_else(PoisonError::into_inner).computed)
}

#[cfg(test)]
mod tests {
    use crate::clock::SystemClock;
    use crate::store::{DashboardSizes, Scope, Store, Synthetic, last_days};

    fn helpdesk(dir: &std::path::Path) -> (std::path::PathBuf, Store) {
        let path = dir.join("m.db");
        let spec = Synthetic {
            tickets: 300,
            days: 60,
            now: time::OffsetDateTime::now_utc(),
            technicians: vec!["t1@ac-exemple.fr".into(), "t2@ac-exemple.fr".into()],
            groups: vec!["g1".into(), "g2".into()],
        };
        let mut writer = Store::open(&path).expect("store");
        writer.fill_synthetic(&spec).expect("fill");
        (path, writer)
    }

    #[test]
    fn dashboards_between_two_commits_share_one_computation_of_what_everyone_sees() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, _writer) = helpdesk(dir.path());
        let days = last_days(&SystemClock, 30);
        let (first, second) = (Store::open_read_only(&path).expect("r1"), Store::open_read_only(&path).expect("r2"));
        let groups = vec!["g1".to_string()];
        let a = first.dashboard("t1@ac-exemple.fr", &groups, &days, DashboardSizes::default()).expect("a");
        let computed = super::computed(&first.conn);
        let b = second.dashboard("t2@ac-exemple.fr", &[], &days, DashboardSizes::default()).expect("b");
        assert_eq!(super::computed(&second.conn), computed, "the second dashboard computed the shared parts again");
        assert_eq!(a.everyone, b.everyone);
        assert_ne!(a.mine, b.mine, "what is each technician's own is read for each");
        assert_eq!(b.my_groups, second.status_counts(Scope::Groups(&[])).expect("none"));
    }

    #[test]
    fn after_any_commit_the_next_dashboard_shows_the_new_state_never_a_remembered_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, writer) = helpdesk(dir.path());
        let days = last_days(&SystemClock, 30);
        let reader = Store::open_read_only(&path).expect("reader");
        let dashboard = || reader.dashboard("t1@ac-exemple.fr", &[], &days, DashboardSizes::default()).expect("read");
        for (change, sql) in [
            (
                "a ticket closed",
                "UPDATE tickets SET status = 'closed' WHERE status <> 'closed' AND id = (SELECT MIN(id) FROM tickets WHERE status <> 'closed')",
            ),
            (
                "a new ticket today",
                "INSERT INTO tickets (title, description, status, entity, requester, urgency, impact, priority, created_at, updated_at) SELECT 'n', 'd', 'new', 'e', 'r@ac-exemple.fr', 3, 3, 5, strftime('%Y-%m-%dT%H:%M:%SZ','now'), strftime('%Y-%m-%dT%H:%M:%SZ','now')",
            ),
            (
                "an unowned ticket given a group",
                "INSERT INTO ticket_groups (ticket_id, role, group_name) SELECT t.id, 'assigned', 'g1' FROM tickets t WHERE t.status = 'new' AND NOT EXISTS (SELECT 1 FROM ticket_groups g WHERE g.ticket_id = t.id) AND NOT EXISTS (SELECT 1 FROM actors a WHERE a.ticket_id = t.id AND a.role = 'technician') LIMIT 1",
            ),
        ] {
            let before = dashboard();
            assert_eq!(dashboard().everyone, before.everyone, "{change}: no commit, same counts");
            assert_eq!(writer.conn.execute(sql, []).expect(change), 1, "{change}: one row changed");
            let after = dashboard();
            assert_eq!(after.everyone, reader.status_counts(Scope::Everyone).expect("counts"), "{change}");
            let unowned = reader
                .queue(
                    crate::store::Queue::Unowned,
                    &Default::default(),
                    crate::store::QueueOrder::PriorityThenAge,
                    crate::store::PageRequest::first(10),
                )
                .expect("unowned");
            assert_eq!(after.unowned.total, unowned.total, "{change}");
            assert_eq!(after.flow, reader.daily_flow(&days).expect("flow"), "{change}");
            assert!(
                after.everyone != before.everyone || after.unowned.total != before.unowned.total,
                "{change}: the commit shows"
            );
        }
    }
}
