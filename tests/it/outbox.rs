//! The outbox as a state machine: due rows are claimed, sent rows are never
//! sent again, temporary failures come back later, permanent ones stop with
//! their error kept. The transport here is a double of the `Transport`
//! trait; real servers are exercised by the SMTP tests.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::Message;
use mailgate::clock::Clock;
use mailgate::config::Config;
use mailgate::notify::bounds::MAX_QUOTED_BYTES;
use mailgate::notify::sender::{RetryPolicy, SendPolicy, drain};
use mailgate::notify::transport::{Delivery, Transport, TransportError, build_message};
use mailgate::pipeline::Pipeline;
use mailgate::store::{Delivered, OutboxState, Store};

const CONFIG: &str = include_str!("../../config.example.toml");

/// A clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs() as i64, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(self.0.load(Ordering::SeqCst)).expect("valid time")
    }
}

/// Answers each send with the next scripted result, and records recipients.
struct ScriptedTransport {
    script: Mutex<Vec<Result<(), TransportError>>>,
    sent_to: Mutex<Vec<String>>,
}

impl ScriptedTransport {
    fn new(script: Vec<Result<(), TransportError>>) -> Self {
        ScriptedTransport { script: Mutex::new(script), sent_to: Mutex::new(Vec::new()) }
    }
}

impl Transport for ScriptedTransport {
    async fn send(&self, message: Message) -> Result<Delivery, TransportError> {
        let next = {
            let mut script = self.script.lock().expect("lock");
            if script.is_empty() { Ok(()) } else { script.remove(0) }
        };
        next?;
        let to = message.envelope().to().iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",");
        self.sent_to.lock().expect("lock").push(to);
        Ok(Delivery { location: None })
    }
}

fn setup(clock: &TestClock) -> (tempfile::TempDir, Pipeline, Store) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = Arc::new(Config::from_toml(CONFIG, &dir.path().join("m.toml"), dir.path()).expect("config"));
    let writer = Store::open(&config.database_path).expect("store");
    let reader = Store::open(&config.database_path).expect("second connection");
    let pipeline = Pipeline::new(writer, config, Arc::new(clock.clone())).expect("pipeline");
    (dir, pipeline, reader)
}

fn new_ticket(p: &mut Pipeline) {
    new_ticket_numbered(p, 1);
}

fn new_ticket_numbered(p: &mut Pipeline, n: u32) {
    let raw = format!(
        "From: marie.dupont@ac-exemple.fr\r\nSubject: Imprimante {n}\r\nMessage-ID: <o-{n}@ac-exemple.fr>\r\n\r\nPanne\r\n"
    );
    p.process("test", &n.to_string(), raw.as_bytes()).expect("recorded");
}

fn states(store: &Store) -> Vec<(String, OutboxState, i64)> {
    store.list_outbox(None).expect("list").into_iter().map(|r| (r.recipient, r.state, r.attempts)).collect()
}

fn from() -> lettre::message::Mailbox {
    "Support <support-informatique@ac-exemple.fr>".parse().expect("mailbox")
}

#[tokio::test]
async fn every_due_notification_is_sent_once() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    new_ticket(&mut p);
    let transport = ScriptedTransport::new(vec![]);
    let notifier = p.notifier();
    let report =
        drain(&mut outbox, &transport, &notifier, &from(), &SendPolicy::default(), &clock).await.expect("drain");
    assert_eq!(report.sent, 3, "acknowledgment and two technicians");
    let again =
        drain(&mut outbox, &transport, &notifier, &from(), &SendPolicy::default(), &clock).await.expect("drain");
    assert_eq!(again.sent, 0, "nothing is sent twice");
    assert_eq!(transport.sent_to.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_temporary_failure_is_retried_after_the_backoff_and_a_permanent_one_is_kept_with_its_error() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    new_ticket(&mut p);
    let transport = ScriptedTransport::new(vec![
        Err(TransportError::Temporary("421 try later".into())),
        Err(TransportError::Permanent("550 no such user".into())),
    ]);
    let notifier = p.notifier();
    let retry = SendPolicy {
        retry: RetryPolicy {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(600),
            max_attempts: 5,
        },
        ..SendPolicy::default()
    };
    let report = drain(&mut outbox, &transport, &notifier, &from(), &retry, &clock).await.expect("drain");
    assert_eq!((report.sent, report.retrying, report.failed), (1, 1, 1));
    let rows = outbox.list_outbox(None).expect("list");
    let failed = rows.iter().find(|r| r.state == OutboxState::Failed).expect("a failed row");
    assert!(failed.last_error.as_deref().is_some_and(|e| e.contains("550 no such user")), "{failed:?}");
    let waiting = rows.iter().find(|r| r.state == OutboxState::Pending).expect("a row waiting for its retry");
    assert!(waiting.last_error.as_deref().is_some_and(|e| e.contains("421")));

    let early = drain(&mut outbox, &transport, &notifier, &from(), &retry, &clock).await.expect("drain");
    assert_eq!(early.sent, 0, "not before its time");
    clock.advance(Duration::from_secs(600));
    let later = drain(&mut outbox, &transport, &notifier, &from(), &retry, &clock).await.expect("drain");
    assert_eq!(later.sent, 1, "sent once its backoff has passed");
    let final_states: Vec<OutboxState> = states(&outbox).into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(final_states.iter().filter(|s| **s == OutboxState::Sent).count(), 2);
    assert_eq!(final_states.iter().filter(|s| **s == OutboxState::Failed).count(), 1);
}

#[tokio::test]
async fn a_row_left_sending_by_a_crash_is_sent_again_after_its_lease_with_the_same_message_id() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    new_ticket(&mut p);
    // The crash: claimed (marked sending) and never marked sent.
    let lease = clock.rfc3339_after(Duration::from_secs(60));
    let (_, mut claimed) = outbox.claim_due(&clock.now_rfc3339(), 1, |_| lease.clone()).expect("claim");
    let claimed = claimed.pop().expect("a due row");
    let transport = ScriptedTransport::new(vec![]);
    let report =
        drain(&mut outbox, &transport, &p.notifier(), &from(), &SendPolicy::default(), &clock).await.expect("drain");
    assert_eq!(report.sent, 2, "the others go; the crashed sender's row waits for its lease");
    clock.advance(Duration::from_secs(60));
    drain(&mut outbox, &transport, &p.notifier(), &from(), &SendPolicy::default(), &clock).await.expect("drain");
    let row = outbox.list_outbox(None).expect("list").into_iter().find(|r| r.id == claimed.id).expect("row");
    assert_eq!(row.state, OutboxState::Sent);
    assert_eq!(row.attempts, 2, "one attempt lost in the crash, one that went through");
    assert_eq!(row.message_id, claimed.message_id);
}

#[test]
fn the_backoff_grows_and_stays_under_its_cap() {
    let retry =
        RetryPolicy { first_delay: Duration::from_secs(30), max_delay: Duration::from_secs(3600), max_attempts: 12 };
    for attempts in 1..30 {
        let d = retry.delay_after(attempts);
        assert!(d <= retry.max_delay * 2, "attempt {attempts}: {d:?} is far over the cap");
        assert!(d >= retry.first_delay, "attempt {attempts}: {d:?} is under the first delay");
    }
    assert!(retry.delay_after(6) > retry.delay_after(1), "later attempts wait longer");
}

#[tokio::test]
async fn past_the_hourly_limit_an_address_is_held_until_an_operator_releases_it() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    let policy = SendPolicy { max_per_address_per_hour: 2, ..SendPolicy::default() };
    let transport = ScriptedTransport::new(vec![]);
    for n in 1..=3 {
        new_ticket_numbered(&mut p, n);
    }
    let report = drain(&mut outbox, &transport, &p.notifier(), &from(), &policy, &clock).await.expect("drain");
    let to_marie = |store: &Store| -> Vec<OutboxState> {
        states(store).into_iter().filter(|(to, _, _)| to == "marie.dupont@ac-exemple.fr").map(|(_, s, _)| s).collect()
    };
    assert_eq!(to_marie(&outbox), [OutboxState::Sent, OutboxState::Sent, OutboxState::Held]);
    assert_eq!(report.held, 1, "the third notification to the requester; the technicians, staff, are never held");
    let to_staff: Vec<OutboxState> = states(&outbox)
        .into_iter()
        .filter(|(to, _, _)| to != "marie.dupont@ac-exemple.fr")
        .map(|(_, s, _)| s)
        .collect();
    assert!(to_staff.len() >= 6 && to_staff.iter().all(|s| *s == OutboxState::Sent), "{to_staff:?}");
    let held = outbox
        .list_outbox(Some(OutboxState::Held))
        .expect("list")
        .into_iter()
        .find(|r| r.recipient == "marie.dupont@ac-exemple.fr")
        .expect("held row");
    assert!(held.last_error.as_deref().is_some_and(|e| e.contains("max_per_address_per_hour")), "{held:?}");

    clock.advance(Duration::from_secs(7200));
    let later = drain(&mut outbox, &transport, &p.notifier(), &from(), &policy, &clock).await.expect("drain");
    assert_eq!(later.sent, 0, "a held row waits for an operator, not for the clock");

    // The address reaches its limit again; then the operator releases the
    // held row, which goes even so.
    new_ticket_numbered(&mut p, 4);
    new_ticket_numbered(&mut p, 5);
    drain(&mut outbox, &transport, &p.notifier(), &from(), &policy, &clock).await.expect("drain");
    assert!(outbox.requeue(held.id, &clock.now_rfc3339()).expect("requeue"), "a held row can be released");
    drain(&mut outbox, &transport, &p.notifier(), &from(), &policy, &clock).await.expect("drain");
    let released = outbox.list_outbox(None).expect("list").into_iter().find(|r| r.id == held.id).expect("row");
    assert_eq!(released.state, OutboxState::Sent);

    // `outbox retry --held` releases every held row at once.
    new_ticket_numbered(&mut p, 6);
    new_ticket_numbered(&mut p, 7);
    drain(&mut outbox, &transport, &p.notifier(), &from(), &policy, &clock).await.expect("drain");
    let still_held = outbox.list_outbox(Some(OutboxState::Held)).expect("list").len();
    assert_eq!(still_held, 2, "the acknowledgments of tickets 6 and 7");
    assert_eq!(outbox.release_held(&clock.now_rfc3339()).expect("release"), still_held);
    drain(&mut outbox, &transport, &p.notifier(), &from(), &policy, &clock).await.expect("drain");
    assert!(outbox.list_outbox(Some(OutboxState::Held)).expect("list").is_empty(), "released rows pass the guard");
}

#[tokio::test]
async fn failed_rows_can_be_queued_again_by_an_operator() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    new_ticket(&mut p);
    let refusing = ScriptedTransport::new(vec![Err(TransportError::Permanent("550 mailbox full".into())); 3]);
    drain(&mut outbox, &refusing, &p.notifier(), &from(), &SendPolicy::default(), &clock).await.expect("drain");
    assert!(states(&outbox).iter().all(|(_, s, _)| *s == OutboxState::Failed));
    assert!(!outbox.requeue(9_999, &clock.now_rfc3339()).expect("requeue"), "an unknown row is reported");

    assert_eq!(outbox.requeue_failed(&clock.now_rfc3339()).expect("requeue"), 3);
    let accepting = ScriptedTransport::new(vec![]);
    let report =
        drain(&mut outbox, &accepting, &p.notifier(), &from(), &SendPolicy::default(), &clock).await.expect("drain");
    assert_eq!(report.sent, 3);
}

/// The mail as it would go on the wire, and its header lines, unfolded.
fn built(p: &Pipeline, row: &mailgate::store::OutboxRow) -> (Vec<u8>, Vec<String>) {
    let bytes = build_message(row, p.notifier().html(row), &from()).expect("built").formatted();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let head = text.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
    (bytes, head.split("\r\n").map(str::to_string).collect())
}

#[test]
fn a_megabyte_of_short_lines_is_quoted_as_a_bounded_excerpt_and_built_with_crlf_line_endings() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, outbox) = setup(&clock);
    let body = "une ligne\n".repeat(110_000);
    let raw = format!(
        "From: marie.dupont@ac-exemple.fr\r\nSubject: Journal\r\nMessage-ID: <long-1@ac-exemple.fr>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    );
    assert!(raw.len() > 1 << 20);
    p.process("test", "long", raw.as_bytes()).expect("recorded");
    let rows = outbox.list_outbox(None).expect("list");
    assert_eq!(rows.len(), 3, "the acknowledgment and two technicians");
    for row in &rows {
        assert!(row.body_text.len() < MAX_QUOTED_BYTES + 4096, "{}: {} bytes", row.recipient, row.body_text.len());
        assert!(row.body_text.contains("La suite de ce texte"), "the note: {}", row.body_text);
        assert!(row.body_text.contains("ticket.form.php?id=1"), "the link to the rest");
        let (bytes, _) = built(&p, row);
        assert!(bytes.len() < 4 * MAX_QUOTED_BYTES, "text and HTML of an excerpt: {} bytes", bytes.len());
        let bare = bytes.windows(2).filter(|w| w[1] == b'\n' && w[0] != b'\r').count();
        assert_eq!(bare, 0, "every line of the built mail ends in CRLF");
    }
}

#[test]
fn a_huge_display_name_or_a_huge_or_malformed_message_id_never_reaches_a_notification() {
    let huge_name = "N".repeat(10 << 20);
    let huge_id = format!("{}@ac-exemple.fr", "i".repeat(10 << 20));
    let table = [
        ("a 10 MB display name", huge_name.as_str(), "ok-1@ac-exemple.fr"),
        ("a 10 MB Message-ID", "Marie Dupont", huge_id.as_str()),
        ("a Message-ID without @", "Marie Dupont", "sans-arobase"),
        ("a Message-ID with a space", "Marie Dupont", "deux mots@ac-exemple.fr"),
    ];
    for (case, name, id) in table {
        let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
        let (_dir, mut p, outbox) = setup(&clock);
        let raw = format!(
            "From: \"{name}\" <marie.dupont@ac-exemple.fr>\r\nSubject: Imprimante\r\nMessage-ID: <{id}>\r\n\r\nPanne\r\n"
        );
        p.process("test", "1", raw.as_bytes()).expect("recorded");
        let rows = outbox.list_outbox(None).expect("list");
        assert!(!rows.is_empty(), "{case}: notified");
        for row in &rows {
            assert!(row.body_text.len() < 4096, "{case}: {} bytes of text", row.body_text.len());
            let echoed = row.in_reply_to.iter().chain(&row.references).any(|r| r.len() > 250 || !r.contains('@'));
            assert!(!echoed, "{case}: {:?} {:?}", row.in_reply_to, row.references);
            let (bytes, headers) = built(&p, row);
            assert!(bytes.len() < 16 * 1024, "{case}: {} bytes built", bytes.len());
            assert!(headers.iter().all(|h| h.len() < 1000), "{case}: a header line is over 1000 bytes");
            if id.starts_with("ok-1") {
                assert!(headers.iter().any(|h| h == "In-Reply-To: <ok-1@ac-exemple.fr>"), "{case}: {headers:?}");
            } else {
                assert!(!headers.iter().any(|h| h.starts_with("In-Reply-To:")), "{case}: {headers:?}");
            }
        }
    }
}

/// Stored time `seconds` after the test clock's start.
fn at(seconds: i64) -> String {
    mailgate::clock::rfc3339(time::OffsetDateTime::from_unix_timestamp(1_740_000_000 + seconds).expect("valid time"))
}

#[test]
fn two_stores_claiming_at_once_never_get_the_same_row() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (dir, mut p, outbox) = setup(&clock);
    for n in 1..=20 {
        new_ticket_numbered(&mut p, n);
    }
    let all: Vec<i64> = outbox.list_outbox(None).expect("list").iter().map(|r| r.id).collect();
    assert_eq!(all.len(), 60);
    let start = Arc::new(std::sync::Barrier::new(2));
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (path, start) = (dir.path().join("mailgate.db"), start.clone());
            std::thread::spawn(move || {
                let mut store = Store::open(&path).expect("a store of its own, as another process has");
                let mut mine = Vec::new();
                start.wait();
                loop {
                    let (_, rows) = store.claim_due(&at(0), 3, |_| at(600)).expect("claim");
                    if rows.is_empty() {
                        return mine;
                    }
                    mine.extend(rows.iter().map(|r| r.id));
                }
            })
        })
        .collect();
    let claims: Vec<Vec<i64>> = senders.into_iter().map(|s| s.join().expect("sender")).collect();
    let mut together: Vec<i64> = claims.concat();
    together.sort_unstable();
    assert_eq!(together, all, "every row claimed once, by one of them: {claims:?}");
}

#[test]
fn a_killed_senders_row_is_claimed_again_once_its_lease_has_run_out_and_not_before() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    new_ticket(&mut p);
    let (_, killed) = outbox.claim_due(&at(0), 1, |_| at(100)).expect("claim");
    let killed = killed[0].id;
    let table = [(1, false), (50, false), (99, false), (100, true), (101, false)];
    for (seconds, claimed_again) in table {
        let (_, rows) = outbox.claim_due(&at(seconds), 10, |_| at(seconds + 1000)).expect("claim");
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        assert_eq!(ids.contains(&killed), claimed_again, "at +{seconds} s: {ids:?}");
    }
    let row = outbox.list_outbox(None).expect("list").into_iter().find(|r| r.id == killed).expect("row");
    assert_eq!((row.state, row.attempts), (OutboxState::Sending, 2), "taken by its new sender, once");
}

#[test]
fn a_sender_that_lost_its_lease_cannot_overwrite_the_new_holders_record() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    new_ticket(&mut p);
    let sent = || Delivered::Sent { at: at(30), location: Some("new holder".into()) };
    let failed = || Delivered::Failed { error: "late".into() };
    // Late after the new holder recorded, and late before it does.
    for new_records_first in [true, false] {
        let (slow, rows) = outbox.claim_due(&at(0), 1, |_| at(10)).expect("claim");
        let id = rows[0].id;
        let (fresh, again) = outbox.claim_due(&at(20), 1, |_| at(40)).expect("claim");
        assert_eq!(again[0].id, id, "taken again once the lease ran out");
        if new_records_first {
            assert_eq!(outbox.record_deliveries(&fresh, &[(id, sent())]).expect("record"), 1);
        }
        assert_eq!(outbox.record_deliveries(&slow, &[(id, failed())]).expect("record"), 0, "lost lease");
        if !new_records_first {
            assert_eq!(outbox.record_deliveries(&fresh, &[(id, sent())]).expect("record"), 1);
        }
        let row = outbox.list_outbox(None).expect("list").into_iter().find(|r| r.id == id).expect("row");
        assert_eq!((row.state, row.delivered_to.as_deref()), (OutboxState::Sent, Some("new holder")));
        assert_eq!(outbox.record_deliveries(&fresh, &[(id, failed())]).expect("record"), 0, "recorded once");
    }
}

#[tokio::test]
async fn a_row_every_sender_dies_on_is_failed_after_max_attempts_instead_of_coming_first_forever() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    new_ticket(&mut p);
    let policy =
        SendPolicy { retry: RetryPolicy { max_attempts: 3, ..RetryPolicy::default() }, ..SendPolicy::default() };
    let mut poison = None;
    for round in 0..3 {
        let now = clock.now_rfc3339();
        let (_, rows) = outbox.claim_due(&now, 1, |_| clock.rfc3339_after(Duration::from_secs(60))).expect("claim");
        assert!(poison.is_none_or(|id| id == rows[0].id), "round {round}: the oldest row comes first");
        poison = Some(rows[0].id);
        clock.advance(Duration::from_secs(61));
    }
    let transport = ScriptedTransport::new(vec![]);
    let report = drain(&mut outbox, &transport, &p.notifier(), &from(), &policy, &clock).await.expect("drain");
    assert_eq!((report.sent, report.failed), (2, 1));
    let row = outbox.list_outbox(None).expect("list").into_iter().find(|r| Some(r.id) == poison).expect("row");
    assert_eq!(row.state, OutboxState::Failed);
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("claimed 4 times without a result")), "{row:?}");
}

/// Takes ten minutes per message, by the test clock.
struct SlowTransport(TestClock);

impl Transport for SlowTransport {
    async fn send(&self, _message: Message) -> Result<Delivery, TransportError> {
        self.0.advance(Duration::from_secs(600));
        Ok(Delivery { location: None })
    }
}

#[tokio::test]
async fn a_row_whose_lease_ran_out_while_it_waited_its_turn_is_given_back_untried() {
    let clock = TestClock(Arc::new(AtomicI64::new(1_740_000_000)));
    let (_dir, mut p, mut outbox) = setup(&clock);
    new_ticket(&mut p);
    // Each send outlasts every lease: after the first of a claim, the
    // others would go out under a lease another sender may have taken.
    let report =
        drain(&mut outbox, &SlowTransport(clock.clone()), &p.notifier(), &from(), &SendPolicy::default(), &clock)
            .await
            .expect("drain");
    assert_eq!(report.sent, 3, "each sent by a claim of its own");
    let attempts: Vec<i64> = states(&outbox).into_iter().map(|(_, _, a)| a).collect();
    assert_eq!(attempts, [1, 1, 1], "a row given back untried does not count an attempt");
}
