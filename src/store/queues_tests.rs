//! The queues over a small helpdesk whose every ticket is there for a
//! reason, and over a synthetic one for pagination and query plans.

use super::*;
use crate::store::synthetic::Synthetic;
use crate::ticket::{Status, TicketId};

/// Seven tickets. Priority and age decide the order: 5 (priority 5), then
/// the priority-4 tickets oldest first (2, 6), then 1, 3, 7 (priority 3, by
/// age); 4 is solved.
const HELPDESK: &str = "
INSERT INTO tickets (id, title, description, status, entity, requester, category, priority, created_at, updated_at) VALUES
 (1, 'Imprimante', 'x', 'new', 'Académie', 'marie@ac.fr', 'Matériel > Imprimante', 3, '2025-03-01T09:00:00Z', '2025-03-09T00:00:00Z'),
 (2, 'LSU', 'x', 'assigned', 'Académie', 'paul@ac.fr', 'Scolarité > LSU', 4, '2025-03-02T09:00:00Z', '2025-03-02T09:00:00Z'),
 (3, 'ENT', 'x', 'pending', 'Académie', 'marie@ac.fr', 'Scolarité', 3, '2025-03-03T09:00:00Z', '2025-03-03T09:00:00Z'),
 (4, 'Écran', 'x', 'solved', 'Académie', 'jean@ac.fr', 'Matériel', 5, '2025-03-04T09:00:00Z', '2025-03-04T09:00:00Z'),
 (5, 'Réseau coupé', 'x', 'new', 'Collège', 'jean@ac.fr', 'Réseau', 5, '2025-03-05T09:00:00Z', '2025-03-05T09:00:00Z'),
 (6, 'Messagerie', 'x', 'planned', 'Collège', 'paul@ac.fr', 'Messagerie', 4, '2025-03-06T09:00:00Z', '2025-03-06T09:00:00Z'),
 (7, 'Imprimante 2', 'x', 'new', 'Collège', 'marie@ac.fr', 'Matériel > Imprimante', 3, '2025-03-07T09:00:00Z', '2025-03-07T09:00:00Z');
INSERT INTO actors (ticket_id, role, email) VALUES
 (2, 'technician', 'alice@ac.fr'), (3, 'technician', 'bob@ac.fr'), (4, 'technician', 'alice@ac.fr'),
 (6, 'technician', 'alice@ac.fr'), (6, 'observer', 'bob@ac.fr');
INSERT INTO ticket_groups (ticket_id, role, group_name) VALUES
 (2, 'assigned', 'dsi-bai'), (3, 'assigned', 'scolarite'), (5, 'assigned', 'dsi-bai'),
 (7, 'observer', 'dsi-bai'), (1, 'assigned', 'scolarite');
";

pub(crate) fn helpdesk() -> Store {
    let store = Store::open_in_memory().expect("in-memory store");
    store.conn.execute_batch(HELPDESK).expect("insert the helpdesk");
    store
}

fn ids(page: &Page<TicketSummary>) -> Vec<TicketId> {
    page.items.iter().map(|t| t.id).collect()
}

#[test]
fn each_queue_holds_its_open_tickets_most_urgent_then_oldest_first() {
    let store = helpdesk();
    let groups = vec!["dsi-bai".to_string(), "scolarite".to_string()];
    let only_bai = vec!["dsi-bai".to_string()];
    let any = TicketFilter::default;
    let cases: Vec<(&str, Queue<'_>, TicketFilter, Vec<TicketId>)> = vec![
        (
            "all open: priority 5, then 4 by age, then 3 by age; solved left out",
            Queue::All,
            any(),
            vec![5, 2, 6, 1, 3, 7],
        ),
        ("mine: assigned to me, observing does not count", Queue::Mine("alice@ac.fr"), any(), vec![2, 6]),
        ("mine ignores the address's case", Queue::Mine("Bob@AC.fr"), any(), vec![3]),
        ("my groups' tickets that no technician took", Queue::GroupsUnassigned(&groups), any(), vec![5, 1]),
        ("one group; an observer group does not count", Queue::GroupsUnassigned(&only_bai), any(), vec![5]),
        ("no groups, no tickets", Queue::GroupsUnassigned(&[]), any(), vec![]),
        ("nobody's: no technician and no assigned group", Queue::Unowned, any(), vec![7]),
        (
            "a status in the filter replaces the open ones",
            Queue::Mine("alice@ac.fr"),
            TicketFilter { statuses: vec![Status::Solved], ..any() },
            vec![4],
        ),
        (
            "the filters of tickets list apply",
            Queue::All,
            TicketFilter { category: Some("Matériel".into()), ..any() },
            vec![1, 7],
        ),
        ("text filter", Queue::All, TicketFilter { text: Some("réseau".into()), ..any() }, vec![5]),
        ("requester filter", Queue::All, TicketFilter { requester: Some("paul@ac.fr".into()), ..any() }, vec![2, 6]),
        ("a category nobody has", Queue::All, TicketFilter { category: Some("Aucune".into()), ..any() }, vec![]),
    ];
    for (name, queue, filter, expected) in cases {
        let page = store.queue(queue, &filter, QueueOrder::PriorityThenAge, PageRequest::first(50)).expect(name);
        assert_eq!(ids(&page), expected, "{name}");
        assert_eq!(page.total, expected.len() as i64, "{name}: total");
    }
}

#[test]
fn oldest_order_ignores_priority() {
    let store = helpdesk();
    let page =
        store.queue(Queue::All, &TicketFilter::default(), QueueOrder::Oldest, PageRequest::first(3)).expect("queue");
    assert_eq!(ids(&page), vec![1, 2, 3]);
    assert_eq!(page.total, 6);
}

#[test]
fn pages_follow_each_other_without_gap_or_repeat_and_count_the_whole_queue() {
    let store = helpdesk();
    let read = |page| {
        store
            .queue(Queue::All, &TicketFilter::default(), QueueOrder::PriorityThenAge, PageRequest { page, size: 4 })
            .expect("page")
    };
    let (first, second, third) = (read(1), read(2), read(3));
    assert_eq!(ids(&first), vec![5, 2, 6, 1]);
    assert_eq!(ids(&second), vec![3, 7]);
    assert!(third.items.is_empty(), "past the end is an empty page");
    for page in [&first, &second, &third] {
        assert_eq!((page.total, page.pages()), (6, 2));
    }
    let zero = store
        .queue(Queue::All, &TicketFilter::default(), QueueOrder::PriorityThenAge, PageRequest { page: 0, size: 0 })
        .expect("page 0");
    assert_eq!((zero.page, zero.size, ids(&zero)), (1, 1, vec![5]), "page 0 and size 0 are page 1 of 1");
}

/// A synthetic helpdesk of `n` tickets.
pub(crate) fn synthetic(n: u32) -> (Store, Synthetic) {
    let mut store = Store::open_in_memory().expect("in-memory store");
    let spec = Synthetic {
        tickets: n,
        days: 400,
        now: time::macros::datetime!(2026-03-15 12:00 UTC),
        technicians: (0..20).map(|i| format!("tech{i}@ac-exemple.fr")).collect(),
        groups: (0..5).map(|i| format!("group-{i}")).collect(),
    };
    store.fill_synthetic(&spec).expect("fill");
    (store, spec)
}

#[test]
fn every_page_of_a_large_queue_together_is_the_whole_queue_in_order() {
    let (store, _) = synthetic(1000);
    let filter = TicketFilter::default();
    let mut seen = Vec::new();
    let mut page = 1;
    loop {
        let p = store
            .queue(Queue::All, &filter, QueueOrder::PriorityThenAge, PageRequest { page, size: 37 })
            .expect("page");
        if p.items.is_empty() {
            break;
        }
        seen.extend(p.items.into_iter().map(|t| (std::cmp::Reverse(t.priority), t.created_at, t.id)));
        page += 1;
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "pages are in order, without repeats");
    let open = store.status_counts(crate::store::Scope::Everyone).expect("counts").open();
    assert_eq!(seen.len() as i64, open, "every open ticket is on some page");
}

#[test]
fn the_queues_read_tickets_through_indexes_not_scans_of_the_related_tables() {
    let (store, _) = synthetic(200);
    let groups = vec!["group-1".to_string()];
    for queue in [Queue::All, Queue::Mine("tech1@ac-exemple.fr"), Queue::GroupsUnassigned(&groups), Queue::Unowned] {
        let q = store
            .queue_query(
                ID_SELECT,
                queue,
                &TicketFilter { statuses: TicketFilter::OPEN.to_vec(), ..Default::default() },
            )
            .expect("query")
            .expect("some query");
        let sql = format!("EXPLAIN QUERY PLAN {}\nORDER BY t.priority DESC, t.created_at, t.id LIMIT 50", q.sql);
        let mut stmt = store.conn.prepare(&sql).expect("explain");
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(q.values), |r| r.get::<_, String>(3))
            .expect("plan")
            .map(|r| r.expect("row"))
            .collect();
        let scans: Vec<&String> =
            plan.iter().filter(|d| d.starts_with("SCAN") && !d.contains("USING") && !d.contains("subquery")).collect();
        assert!(scans.is_empty(), "{queue:?}: full scans in {plan:#?}");
    }
}
