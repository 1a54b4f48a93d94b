//! Group commit, as the daemon's writer uses it: the mails of a batch share
//! one transaction, each under its own savepoint. A mail whose recording
//! fails must vanish alone, the batch must become visible (and durable)
//! only at `make_durable`, and without group commit every mail stands alone.

use std::path::Path;

use mailgate::config::Config;
use mailgate::desk::record_mail;
use mailgate::intake::{Decision, Outcome};
use mailgate::notify::Notifier;
use mailgate::store::{Received, Store};

const CONFIG: &str = include_str!("../../config.example.toml");

fn notifier(dir: &Path) -> Notifier {
    let config = Config::from_toml(CONFIG, &dir.join("m.toml"), dir).expect("example config");
    Notifier::new(&config).expect("templates")
}

fn received<'a>(key: &'a str, raw: &'a [u8]) -> Received<'a> {
    Received {
        source: "test",
        key,
        raw,
        size: raw.len() as u64,
        at: "2025-03-03T09:00:00Z",
        replay_of: None,
        trust: None,
    }
}

fn refuse() -> Decision {
    Decision::Refuse { reason: "sender domain not allowed".into() }
}

/// A decision the store rejects after it has already written the mail's
/// record and raw copy: a ticket needs a parsed mail.
fn failing() -> Decision {
    Decision::NewTicket {
        title: "Imprimante".into(),
        requester: mailgate::mail::Mailbox { address: "marie.dupont@ac-exemple.fr".into(), name: None },
        observers: Vec::new(),
        routing: mailgate::routing::Routing {
            rule: None,
            refuse: None,
            ticket_type: mailgate::ticket::TicketType::Incident,
            category: None,
            urgency: 3,
            impact: 3,
            priority: 3,
            entity: "Académie d'Exemple".into(),
            location: None,
            group: None,
            technician: None,
            observers: Vec::new(),
        },
        note: None,
        related: None,
        opened_by: None,
        previous_number: None,
    }
}

fn keys(store: &Store) -> Vec<String> {
    store.list_messages(None, false).expect("list").into_iter().map(|m| m.key).collect()
}

#[test]
fn a_failing_mail_rolls_back_alone_and_the_batch_appears_at_make_durable() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("m.db");
    let notifier = notifier(dir.path());
    let mut writer = Store::open(&path).expect("store");
    let reader = Store::open(&path).expect("second connection");
    writer.set_group_commit(true);

    let a = record_mail(&mut writer, &received("a", b"Subject: a\r\n\r\na\r\n"), None, &refuse(), &notifier)
        .expect("a recorded");
    assert_eq!(a.outcome, Outcome::Refused);
    record_mail(&mut writer, &received("b", b"Subject: b\r\n\r\nb\r\n"), None, &failing(), &notifier)
        .expect_err("b fails");
    record_mail(&mut writer, &received("c", b"Subject: c\r\n\r\nc\r\n"), None, &refuse(), &notifier)
        .expect("c recorded");
    assert!(keys(&reader).is_empty(), "nothing is committed before make_durable");

    writer.make_durable().expect("commit and sync");
    assert_eq!(keys(&reader), ["a", "c"], "b's partial writes were rolled back, a and c kept");
}

#[test]
fn without_group_commit_each_mail_commits_on_its_own() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("m.db");
    let notifier = notifier(dir.path());
    let mut writer = Store::open(&path).expect("store");
    let mut other = Store::open(&path).expect("second connection");

    record_mail(&mut writer, &received("a", b"Subject: a\r\n\r\na\r\n"), None, &refuse(), &notifier)
        .expect("a recorded");
    record_mail(&mut writer, &received("b", b"Subject: b\r\n\r\nb\r\n"), None, &failing(), &notifier)
        .expect_err("b fails");
    // The failure ended its transaction: another connection can write at once.
    record_mail(&mut other, &received("c", b"Subject: c\r\n\r\nc\r\n"), None, &refuse(), &notifier)
        .expect("c recorded");
    assert_eq!(keys(&other), ["a", "c"]);
}
