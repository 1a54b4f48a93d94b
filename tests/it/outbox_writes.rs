//! What the outbox writes (issue 17): the recipients of one event who get
//! the same words share one stored body, kept apart from the outbox row
//! whose state changes as it is sent; a personal link is stored as a marker
//! and each mail goes out with its own recipient's link, in the text and in
//! the HTML button. A sender records its last results in the transaction
//! of its next claim, under the lease that covered them.

use std::sync::{Arc, Mutex};

use lettre::Message;
use mail_parser::MessageParser;
use mailgate::clock::SystemClock;
use mailgate::config::Config;
use mailgate::notify::sender::{SendPolicy, drain};
use mailgate::notify::transport::{Delivery, Transport, TransportError};
use mailgate::pipeline::Pipeline;
use mailgate::store::{Delivered, OutboxState, Store};
use mailgate::web::token::Purpose;

const CONFIG: &str = include_str!("../../config.example.toml");
const BASE_URL: &str = "https://support.ac-exemple.fr";

/// Keeps every message it is given: (recipient, whole message).
#[derive(Default)]
struct Kept(Mutex<Vec<(String, Vec<u8>)>>);

impl Transport for Kept {
    async fn send(&self, message: Message) -> Result<Delivery, TransportError> {
        let to = message.envelope().to().iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",");
        self.0.lock().expect("lock").push((to, message.formatted()));
        Ok(Delivery { location: None })
    }
}

fn count(db: &rusqlite::Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).expect("count")
}

/// The personal links (`BASE_URL/ticket/1?k=…`) in `text`.
fn links(text: &str) -> Vec<String> {
    text.match_indices(&format!("{BASE_URL}/ticket/1?k="))
        .map(|(at, _)| text[at..].chars().take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '<' | '>')).collect())
        .collect()
}

#[tokio::test]
async fn the_technicians_of_a_new_ticket_share_one_stored_text_and_each_mail_carries_its_own_link() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text =
        format!("{CONFIG}\n[web]\nlisten = \"127.0.0.1:1\"\nbase_url = \"{BASE_URL}\"\nsecret_file = \"web.key\"\n");
    let config = Arc::new(Config::from_toml(&text, &dir.path().join("m.toml"), dir.path()).expect("config"));
    let mut outbox = Store::open(&config.database_path).expect("second connection");
    let mut p =
        Pipeline::new(Store::open(&config.database_path).expect("store"), config.clone(), Arc::new(SystemClock))
            .expect("pipeline");
    let raw =
        "From: marie.dupont@ac-exemple.fr\r\nSubject: Imprimante\r\nMessage-ID: <b-1@ac-exemple.fr>\r\n\r\nPanne\r\n";
    p.process("test", "1", raw.as_bytes()).expect("recorded");

    let db = rusqlite::Connection::open(&config.database_path).expect("database");
    assert_eq!(count(&db, "outbox"), 3, "the acknowledgment and two technicians");
    assert_eq!(count(&db, "notification_bodies"), 2, "the acknowledgment's text, and one for both technicians");
    let stored: Vec<String> = outbox.list_outbox(None).expect("list").into_iter().map(|r| r.body_text).collect();
    assert!(stored.iter().all(|t| links(t).is_empty()), "no stored text holds anyone's link: {stored:?}");

    let sent = Kept::default();
    let from = "Support <support-informatique@ac-exemple.fr>".parse().expect("mailbox");
    let report =
        drain(&mut outbox, &sent, &p.notifier(), &from, &SendPolicy::default(), &SystemClock).await.expect("drain");
    assert_eq!(report.sent, 3);

    let key = mailgate::web::links::load_or_create_key(&dir.path().join("web.key")).expect("key");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let sent = sent.0.lock().expect("lock");
    for (recipient, bytes) in sent.iter() {
        let message = MessageParser::default().parse(bytes).expect("a mail");
        let (text, html) = (message.body_text(0).expect("text"), message.body_html(0).expect("html"));
        assert!(!text.contains('\u{1}') && !html.contains('\u{1}'), "no marker is left in the mail to {recipient}");
        let in_text = links(&text);
        assert!(!in_text.is_empty(), "the text to {recipient} carries a link:\n{text}");
        assert!(
            links(&html.replace("&amp;", "&").replace("&#x2f;", "/")).contains(&in_text[0]),
            "the button is the text's link:\n{html}"
        );
        for link in in_text {
            let token = link.rsplit("k=").next().expect("a token");
            let claims = key.verify(token, Purpose::Ticket, 1, now).expect("a valid link");
            assert_eq!(claims.address, *recipient, "the link opens the page for its own recipient");
        }
    }
}

#[test]
fn results_recorded_with_the_next_claim_count_only_under_their_own_lease() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = Arc::new(Config::from_toml(CONFIG, &dir.path().join("m.toml"), dir.path()).expect("config"));
    let mut outbox = Store::open(&config.database_path).expect("second connection");
    let mut p =
        Pipeline::new(Store::open(&config.database_path).expect("store"), config.clone(), Arc::new(SystemClock))
            .expect("pipeline");
    for n in 1..=2 {
        let raw = format!(
            "From: marie.dupont@ac-exemple.fr\r\nSubject: Poste {n}\r\nMessage-ID: <c-{n}@ac-exemple.fr>\r\n\r\nPanne\r\n"
        );
        p.process("test", &n.to_string(), raw.as_bytes()).expect("recorded");
    }
    let now = "2099-01-01T00:00:00Z";
    let lease = |_| "2099-01-01T01:00:00Z".to_string();
    let (first, claimed) = outbox.claim_due(now, 2, lease).expect("claim");
    let sent = |rows: &[mailgate::store::OutboxRow]| -> Vec<(i64, Delivered)> {
        rows.iter().map(|r| (r.id, Delivered::Sent { at: now.into(), location: None })).collect()
    };
    let stale = sent(&claimed);
    let (recorded, (_, next)) =
        outbox.record_then_claim(Some(("another sender's token", &stale)), now, 2, lease).expect("claim");
    assert_eq!(recorded, 0, "results under a token that does not hold the rows are not recorded");
    assert_eq!(next.len(), 2, "the next rows are claimed all the same");
    let (recorded, (_, rest)) =
        outbox.record_then_claim(Some((first.as_str(), &stale)), now, 10, lease).expect("claim");
    assert_eq!(recorded, 2, "the first claim's results, recorded with the next claim");
    let states: Vec<(i64, OutboxState)> =
        outbox.list_outbox(None).expect("list").into_iter().map(|r| (r.id, r.state)).collect();
    for (id, state) in &states {
        let expected = if claimed.iter().any(|r| r.id == *id) { OutboxState::Sent } else { OutboxState::Sending };
        assert_eq!(*state, expected, "row {id}: {states:?}");
    }
    assert_eq!(claimed.len() + next.len() + rest.len(), states.len(), "every row claimed once");
}
