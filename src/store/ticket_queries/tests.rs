//! `tickets list` filters as a table of cases over one small helpdesk, and
//! `tickets show`'s detail and timeline, on a real database file.

use super::*;
use crate::ticket::Status::*;

/// Five tickets, numbered so that "most recently updated first" is
/// 2, 4, 3, 5, 1; each row says what the filters below look at.
const HELPDESK: &str = "
INSERT INTO tickets (id, title, description, status, type, entity, requester, category, urgency, impact, priority,
                     location, rule, created_at, updated_at) VALUES
 (1, 'Imprimante du secrétariat en panne', 'Erreur 0x61011beF', 'new', 'incident', 'Académie d''Exemple',
     'marie.dupont@ac-exemple.fr', 'Matériel > Imprimante', 3, 3, 3, NULL, NULL,
     '2025-03-01T09:00:00Z', '2025-03-01T09:00:00Z'),
 (2, 'LSU inaccessible', 'Page blanche', 'assigned', 'request', 'Académie d''Exemple > Collège Moulin',
     'paul.durand@ac-exemple.fr', 'Scolarité > LSU', 4, 3, 4, 'Bâtiment B', 'scolarite-lsu',
     '2025-03-02T08:00:00Z', '2025-03-05T10:00:00Z'),
 (3, 'Notes 100% perdues', 'Depuis hier', 'pending', 'incident', 'Académie d''Exemple',
     'marie.dupont@ac-exemple.fr', 'scolarité', 3, 3, 3, NULL, NULL,
     '2025-03-02T09:00:00Z', '2025-03-03T10:00:00Z'),
 (4, 'Accès ENT', 'Mot de passe refusé', 'solved', 'request', 'Collège Moulin',
     'jean.petit@ac-exemple.fr', 'Scolarités', 3, 3, 3, NULL, NULL,
     '2025-03-02T10:00:00Z', '2025-03-04T10:00:00Z'),
 (5, 'Écran noir', 'Salle 12', 'cancelled', 'incident', 'Académie d''Exemple',
     'jean.petit@ac-exemple.fr', 'École numérique > Écrans', 3, 3, 3, NULL, NULL,
     '2025-03-02T11:00:00Z', '2025-03-02T12:00:00Z');
INSERT INTO actors (ticket_id, role, email, name) VALUES
 (1, 'requester', 'marie.dupont@ac-exemple.fr', 'Marie Dupont'),
 (2, 'requester', 'paul.durand@ac-exemple.fr', NULL),
 (2, 'technician', 'alice.martin@ac-exemple.fr', 'Alice Martin'),
 (2, 'observer', 'bob.leroy@ac-exemple.fr', NULL),
 (3, 'technician', 'bob.leroy@ac-exemple.fr', NULL),
 (4, 'technician', 'alice.martin@ac-exemple.fr', NULL),
 (4, 'observer', 'alice.martin@ac-exemple.fr', NULL);
INSERT INTO ticket_groups (ticket_id, role, group_name) VALUES
 (2, 'assigned', 'dsi-bai'),
 (2, 'observer', 'niveau-1'),
 (3, 'assigned', 'scolarite'),
 (4, 'observer', 'dsi-bai');
INSERT INTO followups (id, ticket_id, author, role, body, private, created_at) VALUES
 (1, 3, 'bob.leroy@ac-exemple.fr', 'technician', 'Le fichier_export a disparu ?', 0, '2025-03-03T10:00:00Z'),
 (2, 2, 'alice.martin@ac-exemple.fr', 'technician', 'Je regarde.
Redémarrez le poste.', 1, '2025-03-03T08:00:00Z'),
 (3, 2, 'paul.durand@ac-exemple.fr', 'requester', 'Toujours blanc.', 0, '2025-03-05T10:00:00Z'),
 (4, 2, 'alice.martin@ac-exemple.fr', 'technician', 'Cache du navigateur vidé.', 0, '2025-03-04T09:00:00Z');
INSERT INTO ticket_history (ticket_id, at, actor, action, detail) VALUES
 (2, '2025-03-02T08:00:00Z', 'paul.durand@ac-exemple.fr', 'created', 'LSU inaccessible'),
 (2, '2025-03-02T08:00:00Z', 'paul.durand@ac-exemple.fr', 'observer_added', 'bob.leroy@ac-exemple.fr'),
 (2, '2025-03-02T08:00:00Z', 'rule scolarite-lsu', 'group_assigned', 'dsi-bai'),
 (2, '2025-03-03T08:00:00Z', 'alice.martin@ac-exemple.fr', 'followup', 'technician'),
 (2, '2025-03-03T08:00:00Z', 'alice.martin@ac-exemple.fr', 'assigned', 'alice.martin@ac-exemple.fr'),
 (2, '2025-03-03T08:00:00Z', 'alice.martin@ac-exemple.fr', 'status', 'new -> assigned'),
 (2, '2025-03-04T09:00:00Z', 'alice.martin@ac-exemple.fr', 'followup', 'technician'),
 (2, '2025-03-04T09:00:00Z', 'alice.martin@ac-exemple.fr', 'solution_proposed', ''),
 (2, '2025-03-04T09:00:00Z', 'alice.martin@ac-exemple.fr', 'status', 'assigned -> solved'),
 (2, '2025-03-05T10:00:00Z', 'paul.durand@ac-exemple.fr', 'solution_rejected', ''),
 (2, '2025-03-05T10:00:00Z', 'paul.durand@ac-exemple.fr', 'status', 'solved -> assigned');
INSERT INTO solutions (ticket_id, author, body, state, created_at, decided_at, decided_by) VALUES
 (2, 'alice.martin@ac-exemple.fr', 'Cache du navigateur vidé.', 'rejected', '2025-03-04T09:00:00Z',
     '2025-03-05T10:00:00Z', 'paul.durand@ac-exemple.fr');
";

/// The helpdesk above in a database file of its own.
fn helpdesk() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(&dir.path().join("mailgate.db")).expect("open the store");
    store.conn.execute_batch(HELPDESK).expect("insert the helpdesk");
    (dir, store)
}

fn ids(store: &Store, filter: &TicketFilter) -> Vec<TicketId> {
    store.list_tickets(filter).expect("list").into_iter().map(|t| t.id).collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn each_filter_selects_the_tickets_it_names() {
    let (_dir, store) = helpdesk();
    let any = TicketFilter::default;
    let cases: Vec<(&str, TicketFilter, Vec<TicketId>)> = vec![
        ("no filter lists every ticket, the most recently updated first", any(), vec![2, 4, 3, 5, 1]),
        ("one status", TicketFilter { statuses: vec![New], ..any() }, vec![1]),
        ("several statuses are any of them", TicketFilter { statuses: vec![New, Pending], ..any() }, vec![3, 1]),
        (
            "open is neither solved, closed nor cancelled",
            TicketFilter { statuses: TicketFilter::OPEN.to_vec(), ..any() },
            vec![2, 3, 1],
        ),
        (
            "group is the assigned group, not an observer group",
            TicketFilter { group: some("dsi-bai"), ..any() },
            vec![2],
        ),
        ("group ignores case", TicketFilter { group: some("DSI-BAI"), ..any() }, vec![2]),
        ("an observer group alone matches nothing", TicketFilter { group: some("niveau-1"), ..any() }, vec![]),
        (
            "technician, not observer",
            TicketFilter { technician: some("alice.martin@ac-exemple.fr"), ..any() },
            vec![2, 4],
        ),
        ("technician ignores case", TicketFilter { technician: some("Bob.Leroy@AC-exemple.fr"), ..any() }, vec![3]),
        (
            "category matches itself and what is under it",
            TicketFilter { category: some("Scolarité"), ..any() },
            vec![2, 3],
        ),
        ("category matches whole segments only", TicketFilter { category: some("Scolarit"), ..any() }, vec![]),
        ("a deeper category", TicketFilter { category: some("scolarité > lsu"), ..any() }, vec![2]),
        (
            "category spacing around > does not matter",
            TicketFilter { category: some("Scolarité>LSU"), ..any() },
            vec![2],
        ),
        (
            "category case beyond ASCII does not matter",
            TicketFilter { category: some("ÉCOLE NUMÉRIQUE"), ..any() },
            vec![5],
        ),
        ("a category no ticket has", TicketFilter { category: some("Réseau"), ..any() }, vec![]),
        ("requester in any case", TicketFilter { requester: some("Marie.Dupont@ac-exemple.fr"), ..any() }, vec![3, 1]),
        (
            "entity matches itself and what is under it",
            TicketFilter { entity: some("académie d'exemple"), ..any() },
            vec![2, 3, 5, 1],
        ),
        ("a sub-entity", TicketFilter { entity: some("Collège Moulin"), ..any() }, vec![4]),
        ("text in a title", TicketFilter { text: some("imprimante"), ..any() }, vec![1]),
        ("text in a description", TicketFilter { text: some("mot de passe"), ..any() }, vec![4]),
        ("text in a followup", TicketFilter { text: some("fichier_export"), ..any() }, vec![3]),
        ("every word must appear somewhere", TicketFilter { text: some("notes disparu"), ..any() }, vec![3]),
        ("a missing word excludes", TicketFilter { text: some("notes imprimante"), ..any() }, vec![]),
        ("% is a character, not a wildcard", TicketFilter { text: some("100%"), ..any() }, vec![3]),
        ("_ is a character, not a wildcard", TicketFilter { text: some("notes_100"), ..any() }, vec![]),
        ("blank text is no filter", TicketFilter { text: some("  "), ..any() }, vec![2, 4, 3, 5, 1]),
        ("limit keeps the most recently updated", TicketFilter { limit: Some(2), ..any() }, vec![2, 4]),
        (
            "filters combine with AND",
            TicketFilter {
                statuses: TicketFilter::OPEN.to_vec(),
                technician: some("alice.martin@ac-exemple.fr"),
                ..any()
            },
            vec![2],
        ),
        (
            "status, category, group and requester together",
            TicketFilter {
                statuses: vec![Assigned, Pending],
                category: some("scolarité"),
                group: some("scolarite"),
                requester: some("marie.dupont@ac-exemple.fr"),
                ..any()
            },
            vec![3],
        ),
    ];
    let failures: Vec<String> = cases
        .into_iter()
        .filter_map(|(name, filter, expected)| {
            let got = ids(&store, &filter);
            (got != expected).then(|| format!("{name}: expected {expected:?}, got {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_listed_ticket_carries_its_groups_technicians_and_levels() {
    let (_dir, store) = helpdesk();
    let tickets = store.list_tickets(&TicketFilter { category: some("Scolarité > LSU"), ..Default::default() });
    let t = &tickets.expect("list")[0];
    assert_eq!((t.id, t.status, t.kind), (2, Assigned, TicketType::Request));
    assert_eq!(t.assigned_groups, ["dsi-bai"], "observer groups are not listed");
    assert_eq!(t.technicians, ["alice.martin@ac-exemple.fr"]);
    assert_eq!((t.urgency, t.impact, t.priority), (4, 3, 4));
    assert_eq!(t.followups, 3, "the solution is a followup too");
    let json = serde_json::to_value(t).expect("JSON");
    for key in ["id", "status", "title", "requester", "followups", "created_at", "type", "category", "priority"] {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
}

#[test]
fn every_filter_uses_an_index_for_actors_groups_and_followups() {
    let (_dir, store) = helpdesk();
    let filter = TicketFilter {
        statuses: vec![New],
        group: some("dsi-bai"),
        technician: some("alice.martin@ac-exemple.fr"),
        text: some("panne"),
        ..Default::default()
    };
    let query = store.list_query(&filter).expect("query").expect("a query");
    let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {}", query.sql)).expect("explain");
    let plan: Vec<String> = stmt
        .query_map(params_from_iter(query.values), |r| r.get::<_, String>(3))
        .expect("plan")
        .collect::<Result<_, _>>()
        .expect("plan rows");
    let full_scans: Vec<&String> =
        plan.iter().filter(|step| step.starts_with("SCAN") && !step.starts_with("SCAN t")).collect();
    assert!(full_scans.is_empty(), "{full_scans:?} in\n{}", plan.join("\n"));
}

#[test]
fn the_detail_has_every_field_group_and_solution() {
    let (_dir, store) = helpdesk();
    let t = store.ticket_detail(2).expect("ticket 2");
    assert_eq!(t.kind, TicketType::Request);
    assert_eq!(t.category.as_deref(), Some("Scolarité > LSU"));
    assert_eq!((t.urgency, t.impact, t.priority), (4, 3, 4));
    assert_eq!((t.location.as_deref(), t.rule.as_deref()), (Some("Bâtiment B"), Some("scolarite-lsu")));
    assert_eq!(t.groups_in("assigned"), ["dsi-bai"]);
    assert_eq!(t.groups_in("observer"), ["niveau-1"]);
    assert_eq!(t.observers, ["bob.leroy@ac-exemple.fr"]);
    assert_eq!(t.solutions.len(), 1);
    assert_eq!(t.solutions[0].state, "rejected");
    assert_eq!(t.solutions[0].decided_by.as_deref(), Some("paul.durand@ac-exemple.fr"));
    let json = serde_json::to_value(&t).expect("JSON");
    for key in ["history", "followups", "solutions", "groups", "attachments"] {
        assert!(json[key].is_array(), "{key} is not an array in {json}");
    }
    assert_eq!(json["type"], "request");
}

#[test]
fn an_unknown_ticket_is_not_found() {
    let (_dir, store) = helpdesk();
    assert!(matches!(store.ticket_detail(99), Err(StoreError::NotFound(m)) if m == "no ticket #99"));
}

#[test]
fn the_timeline_tells_history_followups_and_solutions_in_order_each_once_with_its_text() {
    let (_dir, store) = helpdesk();
    let t = store.ticket_detail(2).expect("ticket 2");
    let story: Vec<String> = t
        .timeline()
        .iter()
        .map(|e| match e {
            TimelineEntry::History(h) => format!("{} {} {}", h.at, h.action, h.detail).trim_end().to_string(),
            TimelineEntry::Followup(f) => format!("{} followup by {}", f.created_at, f.author),
            TimelineEntry::Solution(s) => format!("{} solution {}", s.created_at, s.state),
        })
        .collect();
    assert_eq!(
        story,
        [
            "2025-03-02T08:00:00Z created LSU inaccessible",
            "2025-03-02T08:00:00Z observer_added bob.leroy@ac-exemple.fr",
            "2025-03-02T08:00:00Z group_assigned dsi-bai",
            "2025-03-03T08:00:00Z followup by alice.martin@ac-exemple.fr",
            "2025-03-03T08:00:00Z assigned alice.martin@ac-exemple.fr",
            "2025-03-03T08:00:00Z status new -> assigned",
            "2025-03-04T09:00:00Z solution rejected",
            "2025-03-04T09:00:00Z status assigned -> solved",
            "2025-03-05T10:00:00Z solution_rejected",
            "2025-03-05T10:00:00Z status solved -> assigned",
            "2025-03-05T10:00:00Z followup by paul.durand@ac-exemple.fr",
        ]
    );
}
