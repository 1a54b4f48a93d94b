//! The operators' journal and outbox pages, and header fields read from
//! raw copies.

use super::*;

const JOURNAL: &str = "
INSERT INTO blobs (sha256, size, bytes) VALUES
 ('raw1', 10, CAST('From: Marie <marie@ac.fr>' || char(13, 10) || 'Subject: =?utf-8?q?Caf=C3=A9?=' || char(13, 10) ||
   'X-Long: one' || char(13, 10) || char(9) || 'two' || char(13, 10) || char(13, 10) || 'Body: not a header' AS BLOB)),
 ('raw2', 10, NULL);
INSERT INTO messages (id, source, source_key, message_id, content_hash, raw_sha256, size, sender, subject, outcome, reason,
                      received_at, quarantined) VALUES
 (1, 'inbox', 'k1', 'm1@x', 'h1', 'raw1', 10, 'marie@ac.fr', 'Café', 'ticket_created', NULL, '2026-03-01T08:00:00Z', 0),
 (2, 'inbox', 'k2', 'm2@x', 'h2', 'raw2', 10, 'spam@evil.example', 'Win', 'refused', 'outside the institution', '2026-03-01T09:00:00Z', 0),
 (3, 'inbox', 'k3', 'm3@x', 'h3', 'raw1', 10, 'mailer-daemon@ac.fr', 'Undelivered', 'ignored', 'a bounce', '2026-03-02T09:00:00Z', 0),
 (4, 'inbox', 'k4', 'm4@x', 'h4', 'raw1', 10, 'spam@evil.example', 'Win again', 'refused', 'outside the institution', '2026-03-03T09:00:00Z', 0),
 (5, 'inbox', 'k5', 'm5@x', 'h5', 'raw1', 10, 'forged@ac.fr', 'Hi', 'refused', 'not authenticated', '2026-03-03T10:00:00Z', 1);
";

fn journal() -> Store {
    let store = Store::open_in_memory().expect("store");
    store.conn.execute_batch(JOURNAL).expect("journal");
    store
}

#[test]
fn the_journal_filters_by_outcome_sender_and_dates_newest_first() {
    let store = journal();
    let any = JournalFilter::default;
    let some = |s: &str| Some(s.to_string());
    let cases = [
        ("everything, newest first", any(), vec![5, 4, 3, 2, 1]),
        ("refused mails", JournalFilter { outcome: Some(Outcome::Refused), ..any() }, vec![5, 4, 2]),
        ("ignored mails", JournalFilter { outcome: Some(Outcome::Ignored), ..any() }, vec![3]),
        ("one sender, in any case", JournalFilter { sender: some(" SPAM@evil.example"), ..any() }, vec![4, 2]),
        ("from a date", JournalFilter { received_from: some("2026-03-02T00:00:00Z"), ..any() }, vec![5, 4, 3]),
        ("until a date, excluded", JournalFilter { received_until: some("2026-03-01T09:00:00Z"), ..any() }, vec![1]),
        ("quarantined only", JournalFilter { quarantined_only: true, ..any() }, vec![5]),
        (
            "all together",
            JournalFilter {
                outcome: Some(Outcome::Refused),
                sender: some("spam@evil.example"),
                received_from: some("2026-03-02T00:00:00Z"),
                ..any()
            },
            vec![4],
        ),
    ];
    for (name, filter, expected) in cases {
        let page = store.journal(&filter, PageRequest::first(50)).expect(name);
        assert_eq!(page.items.iter().map(|m| m.id).collect::<Vec<_>>(), expected, "{name}");
        assert_eq!(page.total, expected.len() as i64, "{name}: total");
    }
    let refused = store
        .journal(&JournalFilter { outcome: Some(Outcome::Refused), ..any() }, PageRequest::first(1))
        .expect("page");
    assert_eq!(refused.items[0].reason.as_deref(), Some("not authenticated"), "the reason travels with the mail");
}

#[test]
fn the_journal_pages_without_gap_and_counts_the_whole() {
    let store = journal();
    let page = |n| store.journal(&JournalFilter::default(), PageRequest { page: n, size: 2 }).expect("page");
    let ids: Vec<Vec<i64>> = (1..=4).map(|n| page(n).items.iter().map(|m| m.id).collect()).collect();
    assert_eq!(ids, vec![vec![5, 4], vec![3, 2], vec![1], vec![]]);
    assert_eq!(page(1).pages(), 3);
}

#[test]
fn header_fields_come_from_the_raw_copy_unfolded_and_undecoded() {
    let store = journal();
    let fields = store.message_headers(1).expect("headers");
    assert_eq!(
        fields,
        vec![
            ("From".to_string(), "Marie <marie@ac.fr>".to_string()),
            ("Subject".to_string(), "=?utf-8?q?Caf=C3=A9?=".to_string()),
            ("X-Long".to_string(), "one two".to_string()),
        ]
    );
    assert!(matches!(store.message_headers(2), Err(StoreError::NotFound(_))), "a purged raw copy");
    assert!(matches!(store.message_headers(99), Err(StoreError::NotFound(_))), "an unknown mail");
}

#[test]
fn header_fields_of_odd_mail() {
    /// (what, raw mail, fields)
    type Case = (&'static str, &'static [u8], Vec<(&'static str, &'static str)>);
    let cases: [Case; 5] = [
        ("LF line ends", b"A: 1\nB: 2\n\nbody", vec![("A", "1"), ("B", "2")]),
        ("a continuation before any field is dropped", b" lost\nA: 1\r\n", vec![("A", "1")]),
        ("a line with no colon is skipped", b"garbage\r\nA: 1\r\n", vec![("A", "1")]),
        ("bytes that are not UTF-8", b"A: caf\xe9\r\n", vec![("A", "caf\u{fffd}")]),
        ("no header at all", b"\r\nbody: x", vec![]),
    ];
    for (name, raw, expected) in cases {
        let got = header_fields(raw);
        let expected: Vec<(String, String)> = expected.into_iter().map(|(n, v)| (n.into(), v.into())).collect();
        assert_eq!(got, expected, "{name}");
    }
    let flood = "X: y\r\n".repeat(MAX_HEADER_FIELDS + 50);
    assert_eq!(header_fields(flood.as_bytes()).len(), MAX_HEADER_FIELDS);
}

#[test]
fn the_outbox_pages_by_state_newest_first() {
    let store = Store::open_in_memory().expect("store");
    store
        .conn
        .execute_batch(
            "INSERT INTO outbox (id, event, recipient, subject, body_text, message_id, state, next_attempt_at, created_at) VALUES
             (1, 'ticket_new', 'a@ac.fr', 's1', 'b', 'm1', 'sent', 't', '2026-03-01T08:00:00Z'),
             (2, 'ticket_new', 'b@ac.fr', 's2', 'b', 'm2', 'failed', 't', '2026-03-01T09:00:00Z'),
             (3, 'followup', 'c@ac.fr', 's3', 'b', 'm3', 'held', 't', '2026-03-01T10:00:00Z'),
             (4, 'followup', 'd@ac.fr', 's4', 'b', 'm4', 'pending', 't', '2026-03-01T11:00:00Z'),
             (5, 'followup', 'e@ac.fr', 's5', 'b', 'm5', 'failed', 't', '2026-03-01T12:00:00Z');",
        )
        .expect("outbox");
    let cases = [
        ("every state", None, vec![5, 4, 3, 2, 1]),
        ("pending", Some(OutboxState::Pending), vec![4]),
        ("failed", Some(OutboxState::Failed), vec![5, 2]),
        ("held", Some(OutboxState::Held), vec![3]),
    ];
    for (name, state, expected) in cases {
        let page = store.outbox_page(state, PageRequest::first(10)).expect(name);
        assert_eq!(page.items.iter().map(|r| r.id).collect::<Vec<_>>(), expected, "{name}");
        assert_eq!(page.total, expected.len() as i64, "{name}");
    }
    let second = store.outbox_page(None, PageRequest { page: 2, size: 2 }).expect("page 2");
    assert_eq!((second.items.iter().map(|r| r.id).collect::<Vec<_>>(), second.total), (vec![3, 2], 5));
}
