//! The dashboard's numbers: equal to `mailgate stats`, per technician and
//! per group, and per local day.

use time::macros::{date, datetime};
use time::{OffsetDateTime, UtcOffset};

use super::*;
use crate::store::queues::tests::{helpdesk, synthetic};

/// A clock stopped at `now`, whose zone is Paris's around March 2025:
/// UTC+1, and UTC+2 from 2025-03-30T01:00Z.
struct Paris(OffsetDateTime);

impl Clock for Paris {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
    fn local_offset(&self, at: OffsetDateTime) -> UtcOffset {
        let hours = if at >= datetime!(2025-03-30 01:00 UTC) { 2 } else { 1 };
        UtcOffset::from_hms(hours, 0, 0).expect("an offset")
    }
}

#[test]
fn the_counts_for_everyone_are_those_of_mailgate_stats() {
    let (store, _) = synthetic(700);
    let stats = store.stats("2026-01-01T00:00:00Z").expect("stats");
    let everyone = store.status_counts(Scope::Everyone).expect("counts");
    for status in Status::ALL {
        assert_eq!(everyone.get(status), stats.tickets.get(status.as_str()), "{status}");
    }
    assert_eq!(everyone.0.iter().map(|(_, n)| n).sum::<i64>(), 700);
    assert!(StatusCounts::SHOWN.iter().all(|s| everyone.get(*s) > 0), "the synthetic helpdesk has every status");
}

#[test]
fn counts_by_scope_count_each_ticket_once() {
    let store = helpdesk();
    let both = vec!["dsi-bai".to_string(), "scolarite".to_string()];
    let bai = vec!["dsi-bai".to_string()];
    type Case<'a> = (&'a str, Scope<'a>, Vec<(Status, i64)>);
    let cases: Vec<Case<'_>> = vec![
        (
            "everyone",
            Scope::Everyone,
            vec![
                (Status::New, 3),
                (Status::Assigned, 1),
                (Status::Planned, 1),
                (Status::Pending, 1),
                (Status::Solved, 1),
            ],
        ),
        (
            "a technician: assigned, not observing",
            Scope::Technician("alice@ac.fr"),
            vec![(Status::Assigned, 1), (Status::Planned, 1), (Status::Solved, 1)],
        ),
        (
            "a technician in another case",
            Scope::Technician(" ALICE@ac.fr "),
            vec![(Status::Assigned, 1), (Status::Planned, 1), (Status::Solved, 1)],
        ),
        ("a technician with nothing", Scope::Technician("nobody@ac.fr"), vec![]),
        ("one group: assigned, not observing", Scope::Groups(&bai), vec![(Status::New, 1), (Status::Assigned, 1)]),
        ("two groups", Scope::Groups(&both), vec![(Status::New, 2), (Status::Assigned, 1), (Status::Pending, 1)]),
        ("no group", Scope::Groups(&[]), vec![]),
    ];
    for (name, scope, expected) in cases {
        let counts = store.status_counts(scope).expect(name);
        for status in Status::ALL {
            let want = expected.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
            assert_eq!(counts.get(status), want, "{name}: {status}");
        }
    }
}

#[test]
fn a_ticket_of_two_of_my_groups_counts_once() {
    let store = helpdesk();
    store.conn.execute_batch("INSERT INTO ticket_groups VALUES (2, 'assigned', 'scolarite')").expect("second group");
    let both = vec!["dsi-bai".to_string(), "scolarite".to_string()];
    assert_eq!(store.status_counts(Scope::Groups(&both)).expect("counts").get(Status::Assigned), 1);
}

#[test]
fn the_last_days_are_local_days_ending_today() {
    let clock = Paris(datetime!(2025-04-02 22:30 UTC)); // 00:30 on 3 April in Paris
    let days = last_days(&clock, 30);
    assert_eq!(days.len(), 30);
    assert_eq!(days[29].date, date!(2025 - 04 - 03), "today is the local date");
    assert_eq!(days[29].start, "2025-04-02T22:00:00Z");
    assert_eq!(days[0].date, date!(2025 - 03 - 05));
    assert_eq!(days[0].start, "2025-03-04T23:00:00Z", "winter time: UTC+1");
    let change = days.iter().find(|d| d.date == date!(2025 - 03 - 30)).expect("the day of the change");
    assert_eq!(
        (change.start.as_str(), change.end.as_str()),
        ("2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z"),
        "a 23-hour day"
    );
    assert!(days.windows(2).all(|w| w[0].end == w[1].start), "days follow each other without gap");
    assert!(last_days(&clock, 0).is_empty());
}

#[test]
fn opened_and_solved_are_counted_on_the_local_day() {
    let store = Store::open_in_memory().expect("store");
    store
        .conn
        .execute_batch(
            "INSERT INTO tickets (id, title, description, status, entity, requester, created_at, updated_at, solved_at) VALUES
             (1, 'a', 'x', 'new', 'E', 'r@ac.fr', '2025-03-09T23:30:00Z', '2025-03-09T23:30:00Z', NULL),
             (2, 'b', 'x', 'solved', 'E', 'r@ac.fr', '2025-03-10T08:00:00Z', '2025-03-10T08:00:00Z', '2025-03-10T22:59:59Z'),
             (3, 'c', 'x', 'closed', 'E', 'r@ac.fr', '2025-03-10T22:59:59Z', '2025-03-11T09:00:00Z', '2025-03-11T09:00:00Z'),
             (4, 'd', 'x', 'new', 'E', 'r@ac.fr', '2025-03-01T08:00:00Z', '2025-03-01T08:00:00Z', NULL);",
        )
        .expect("tickets");
    let clock = Paris(datetime!(2025-03-11 12:00 UTC));
    let flow = store.daily_flow(&last_days(&clock, 2)).expect("flow");
    let got: Vec<(Date, i64, i64)> = flow.iter().map(|d| (d.date, d.opened, d.solved)).collect();
    assert_eq!(
        got,
        vec![
            // 23:30Z on the 9th is 00:30 on the 10th in Paris.
            (date!(2025 - 03 - 10), 3, 1),
            // Closed tickets count on the day their solution came.
            (date!(2025 - 03 - 11), 0, 1),
        ]
    );
    let json = serde_json::to_string(&flow[0]).expect("json");
    assert_eq!(json, r#"{"date":"2025-03-10","opened":3,"solved":1}"#);
}

#[test]
fn the_dashboard_gathers_my_counts_my_groups_everyone_and_the_lists() {
    let store = helpdesk();
    let groups = vec!["dsi-bai".to_string()];
    let clock = Paris(datetime!(2025-03-08 12:00 UTC));
    let dash = store
        .dashboard("alice@ac.fr", &groups, &last_days(&clock, 30), DashboardSizes { oldest_open: 2, unowned: 5 })
        .expect("dashboard");
    assert_eq!(dash.mine.open(), 2);
    assert_eq!(dash.my_groups.open(), 2);
    assert_eq!(dash.everyone.open(), 6);
    assert_eq!(dash.oldest_open.iter().map(|t| t.id).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(dash.unowned.items.iter().map(|t| t.id).collect::<Vec<_>>(), vec![7]);
    assert_eq!(dash.unowned.total, 1);
    assert_eq!(dash.flow.len(), 30);
    assert_eq!(dash.flow.iter().map(|d| d.opened).sum::<i64>(), 7, "every ticket was opened in the last 30 days");
}

#[test]
fn the_daily_counts_are_index_ranges_not_scans() {
    let store = Store::open_in_memory().expect("store");
    for sql in [
        "SELECT COUNT(*) FROM tickets WHERE created_at >= ?1 AND created_at < ?2",
        "SELECT COUNT(*) FROM tickets
         WHERE status IN ('new','assigned','planned','pending','solved','closed','cancelled')
           AND solved_at >= ?1 AND solved_at < ?2",
    ] {
        let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
        let plan: Vec<String> =
            stmt.query_map(["a", "b"], |r| r.get::<_, String>(3)).expect("plan").map(|r| r.expect("row")).collect();
        assert!(plan.iter().all(|d| d.starts_with("SEARCH")), "{sql}: {plan:?}");
    }
}
