//! The daily digest of open tickets, played on the school-district
//! configuration shipped as config.example.toml with `digest_at` set: who
//! gets a digest and of which tickets, once a day on the local clock, again
//! the next day; what a reply to one becomes; the digest through the real
//! binary (`run --once`, the file transport); and the schema migration that
//! lets an outbox row name no ticket, on a database of the previous schema.

use crate::support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailgate::clock::Clock;
use mailgate::config::Config;
use mailgate::desk::Applied;
use mailgate::intake::Outcome;
use mailgate::pipeline::{Pipeline, Processed};
use mailgate::store::{OutboxRow, Store};
use rusqlite::Connection;
use support::{Install, mail};
use time::{OffsetDateTime, UtcOffset};

const SCHOOL: &str = "secretariat@clg-moulin.ac-exemple.fr";
const TEACHER: &str = "prof.durand@lyc-curie.ac-exemple.fr";
const SUPPORT: &str = "support-informatique@ac-exemple.fr";
const ALICE: &str = "alice.martin@ac-exemple.fr";
const BRUNO: &str = "bruno.leroy@ac-exemple.fr";
const CLAIRE: &str = "claire.petit@ac-exemple.fr";
const JULIEN: &str = "julien.moreau@ac-exemple.fr";
const KARIM: &str = "karim.benali@ac-exemple.fr";

/// A clock the test moves by hand, in Paris's winter time: the digest is
/// set by the local wall clock, 07:30 here being 06:30 UTC.
struct ParisClock(Mutex<OffsetDateTime>);

impl Clock for ParisClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
    fn local_offset(&self, _at: OffsetDateTime) -> UtcOffset {
        UtcOffset::from_hms(1, 0, 0).expect("+01:00")
    }
}

struct Desk {
    pipeline: Pipeline,
    clock: Arc<ParisClock>,
    sent: usize,
}

impl Desk {
    /// The example configuration with `digest_at = "07:30"`, on Sunday
    /// 1 March 2026 at 09:00 in Paris.
    fn new() -> Desk {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let text = std::fs::read_to_string(&path).expect("config.example.toml");
        let text = text.replacen("transport = \"file\"", "transport = \"file\"\ndigest_at = \"07:30\"", 1);
        let config = Config::from_toml(&text, &path, Path::new(env!("CARGO_MANIFEST_DIR"))).expect("config loads");
        let clock = Arc::new(ParisClock(Mutex::new(time::macros::datetime!(2026-03-01 08:00 UTC))));
        let store = Store::open_in_memory().expect("store");
        let pipeline = Pipeline::new(store, Arc::new(config), clock.clone()).expect("pipeline");
        Desk { pipeline, clock, sent: 0 }
    }

    fn mail(&mut self, from: &str, to: &str, subject: &str, in_reply_to: Option<&str>, body: &str) -> Applied {
        self.sent += 1;
        let threading = in_reply_to.map(|id| format!("In-Reply-To: <{id}>\r\n")).unwrap_or_default();
        let raw = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <d{n}@mua.ac-exemple.fr>\r\n{threading}\
             Date: Sun, 1 Mar 2026 09:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
            n = self.sent
        );
        self.advance(Duration::from_secs(60));
        match self.pipeline.process("support", &format!("k{}", self.sent), raw.as_bytes()).expect("recorded") {
            Processed::Recorded(applied) => applied,
            Processed::AlreadyRecorded(_) => panic!("mail {} taken for an earlier one", self.sent),
        }
    }

    /// A technician's reply to ticket `id` with commands.
    fn command(&mut self, from: &str, id: i64, body: &str) {
        let subject = format!("RE: [GLPI #{id:07}]");
        let applied = self.mail(from, SUPPORT, &subject, None, body);
        assert_eq!((applied.outcome, applied.ticket), (Outcome::FollowupAdded, Some(id)), "{body}");
    }

    fn set(&self, at: OffsetDateTime) {
        *self.clock.0.lock().expect("clock") = at;
    }

    fn advance(&self, by: Duration) {
        *self.clock.0.lock().expect("clock") += by;
    }

    fn digests(&self) -> Vec<OutboxRow> {
        let rows = self.pipeline.store().list_outbox(None).expect("outbox");
        rows.into_iter().filter(|r| r.event == "daily_digest").collect()
    }

    /// Queues what is due and returns "recipient: #ids" for each digest.
    fn queue(&mut self) -> Vec<String> {
        let queued = self.pipeline.queue_digests().expect("digests");
        queued
            .iter()
            .map(|d| {
                let ids: Vec<String> = d.tickets.iter().map(|t| format!("#{t}")).collect();
                format!("{}: {}", d.recipient, ids.join(" "))
            })
            .collect()
    }
}

#[test]
fn each_technician_with_open_tickets_gets_one_digest_a_day_at_the_local_time() {
    let mut desk = Desk::new();
    // #1: to the LSU alias, routed to the referents; nobody takes it.
    desk.mail(SCHOOL, "lsu-support@ac-exemple.fr", "Livrets de 3e verrouillés", None, "Le bouton reste grisé.");
    // #2: Wi-Fi, routed to dsi-reseau, a group with a list address.
    desk.mail(TEACHER, SUPPORT, "Wi-Fi de la salle B12", None, "Plus de réseau.");
    // #3: no rule; Alice takes it.
    desk.mail(TEACHER, SUPPORT, "Vidéoprojecteur", None, "Il ne s'allume plus.");
    desk.command(ALICE, 3, "#take");
    // #4: urgent (priority 4); Alice takes it too.
    desk.mail(SCHOOL, SUPPORT, "Urgent : poste du secrétariat bloqué", None, "Écran noir.");
    desk.command(ALICE, 4, "#take");
    // #5: Bruno takes and solves it: solved is not open.
    desk.mail(TEACHER, SUPPORT, "Imprimante", None, "Bourrage.");
    desk.command(BRUNO, 5, "#take #solve\nBourrage retiré.");
    // #6: Bruno takes it, and it is cancelled by its requester.
    desk.mail(SCHOOL, SUPPORT, "Clavier", None, "Touches collées.");
    desk.command(BRUNO, 6, "#take");
    let cancel = desk.mail(SCHOOL, SUPPORT, "RE: [GLPI #0000006] Clavier", None, "#annuler");
    assert_eq!(cancel.ticket, Some(6));
    assert_eq!(desk.pipeline.store().ticket_detail(6).expect("ticket").status.as_str(), "cancelled");

    // Monday, 07:29 in Paris: not yet.
    desk.set(time::macros::datetime!(2026-03-02 06:29 UTC));
    assert!(desk.queue().is_empty(), "before digest_at");
    // 07:30: one digest per technician with something open, highest
    // priority first; Bruno's tickets are solved or cancelled, and the
    // dsi-reseau list address is not a person: Karim, its member, is told.
    desk.set(time::macros::datetime!(2026-03-02 06:30 UTC));
    let expected =
        [format!("{ALICE}: #4 #3"), format!("{CLAIRE}: #1"), format!("{JULIEN}: #1"), format!("{KARIM}: #2")];
    assert_eq!(desk.queue(), expected);
    let rows = desk.digests();
    let recipients: Vec<&str> = rows.iter().map(|r| r.recipient.as_str()).collect();
    assert_eq!(recipients, [ALICE, CLAIRE, JULIEN, KARIM]);
    assert!(rows.iter().all(|r| r.ticket_id.is_none()), "a digest names no ticket");
    assert_eq!(rows[0].subject, "[GLPI] Vos tickets ouverts – 2 tickets");
    assert_eq!(rows[1].subject, "[GLPI] Vos tickets ouverts – 1 ticket");
    let alice = &rows[0].body_text;
    let (four, three) = (alice.find("[GLPI #0000004]"), alice.find("[GLPI #0000003]"));
    assert!(four.is_some() && four < three, "priority 4 before 3: {alice}");
    assert!(!alice.contains("#0000005") && !alice.contains("#0000006"), "{alice}");
    assert!(rows[3].body_text.contains("À prendre : groupe DSI – Réseaux"), "{}", rows[3].body_text);

    // The same day, after a restart or at the next minute: nothing more.
    desk.set(time::macros::datetime!(2026-03-02 16:00 UTC));
    assert!(desk.queue().is_empty(), "once a day");
    assert_eq!(desk.digests().len(), 4);

    // Claire takes #1 during the day; the next morning, it is hers alone.
    desk.command(CLAIRE, 1, "#take\nJe regarde.");
    desk.set(time::macros::datetime!(2026-03-03 06:29 UTC));
    assert!(desk.queue().is_empty(), "the next day, before the time");
    desk.set(time::macros::datetime!(2026-03-03 06:31 UTC));
    assert_eq!(desk.queue(), [format!("{ALICE}: #4 #3"), format!("{CLAIRE}: #1"), format!("{KARIM}: #2")]);
}

#[test]
fn a_reply_to_a_digest_opens_a_ticket_of_its_own_and_touches_none_it_lists() {
    let mut desk = Desk::new();
    desk.mail(TEACHER, SUPPORT, "Vidéoprojecteur", None, "Il ne s'allume plus.");
    desk.command(ALICE, 1, "#take");
    desk.set(time::macros::datetime!(2026-03-02 06:30 UTC));
    assert_eq!(desk.queue(), [format!("{ALICE}: #1")]);
    let digest = desk.digests().pop().expect("Alice's digest");
    let followups = desk.pipeline.store().ticket_detail(1).expect("ticket").followups.len();

    let quoted = format!("#solve\nC'est fait.\n\n> {}", digest.body_text.replace('\n', "\n> "));
    let reply = desk.mail(ALICE, SUPPORT, &format!("RE: {}", digest.subject), Some(&digest.message_id), &quoted);
    assert_eq!((reply.outcome, reply.ticket), (Outcome::TicketCreated, Some(2)));
    assert!(reply.reason.as_deref().is_some_and(|r| r.contains("daily digest")), "{:?}", reply.reason);
    let ticket = desk.pipeline.store().ticket_detail(1).expect("ticket");
    assert_eq!((ticket.status.as_str(), ticket.followups.len()), ("assigned", followups), "#1 is untouched");
    let new = desk.pipeline.store().ticket_detail(2).expect("the new ticket");
    assert!(!new.description.contains("0000001"), "the quoted digest is cut: {}", new.description);
}

#[test]
fn run_once_queues_and_sends_the_days_digest_once() {
    let install =
        Install::with_config(|c| c.replacen("transport = \"file\"", "transport = \"file\"\ndigest_at = \"00:00\"", 1));
    install.deliver(
        "lsu",
        &mail(
            &format!("From: {SCHOOL}\nTo: lsu-support@ac-exemple.fr\nSubject: Livrets de 3e\nMessage-ID: <lsu-1@ac-exemple.fr>"),
            "Le bouton reste grisé.",
        ),
    );
    let out = install.mailgate(&["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 daily digest(s)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let digests: Vec<_> = install
        .notifications()
        .into_iter()
        .filter(|m| m.subject().is_some_and(|s| s.starts_with("[GLPI] Vos tickets ouverts")))
        .collect();
    let mut to: Vec<String> = digests
        .iter()
        .filter_map(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_string))
        .collect();
    to.sort();
    assert_eq!(to, [CLAIRE, JULIEN]);
    for m in &digests {
        let id = m.message_id().unwrap_or_default();
        assert!(id.starts_with("mailgate-support-informatique.digest.") && id.ends_with("@ac-exemple.fr"), "{id}");
        assert!(m.in_reply_to().is_empty(), "a digest answers nothing");
        let html = m.body_html(0).unwrap_or_default();
        assert!(html.contains("0000001") && !html.contains("<a href"), "{html}");
    }
    let listed = install.json(&["outbox", "list"]);
    let digest_rows: Vec<_> =
        listed.as_array().expect("rows").iter().filter(|r| r["event"] == "daily_digest").collect();
    assert_eq!(digest_rows.len(), 2);
    assert!(digest_rows.iter().all(|r| r["ticket_id"].is_null() && r["state"] == "sent"), "{digest_rows:?}");

    install.ok(&["run", "--once"]);
    let again = install.json(&["outbox", "list"]);
    assert_eq!(
        again.as_array().map(|a| a.iter().filter(|r| r["event"] == "daily_digest").count()),
        Some(2),
        "once a day"
    );
}

/// Every column of every outbox row, as text.
fn outbox_rows(conn: &Connection) -> Vec<Vec<String>> {
    let mut stmt = conn.prepare("SELECT * FROM outbox ORDER BY id").expect("select");
    let columns = stmt.column_count();
    stmt.query_map([], |r| {
        (0..columns)
            .map(|i| {
                Ok(match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    other => format!("{other:?}"),
                })
            })
            .collect()
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("rows")
}

#[test]
fn db_migrate_from_schema_3_keeps_the_outbox_and_lets_a_row_name_no_ticket() {
    let install = Install::new();
    let conn = Connection::open(install.path("mailgate.db")).expect("open");
    conn.pragma_update(None, "foreign_keys", "ON").expect("foreign keys");
    for sql in [
        include_str!("../../src/store/migrations/0001_initial.sql"),
        include_str!("../../src/store/migrations/0002_outbox_guard.sql"),
        include_str!("../../src/store/migrations/0003_life_cycle.sql"),
    ] {
        conn.execute_batch(sql).expect("an old migration");
    }
    conn.pragma_update(None, "user_version", 3).expect("version");
    conn.execute_batch(
        "INSERT INTO tickets (id, title, description, status, entity, requester, created_at, updated_at)
         VALUES (1, 'Imprimante', '', 'new', 'Académie', 'marie@ac-exemple.fr', '2026-03-01T08:00:00Z', '2026-03-01T08:00:00Z');
         INSERT INTO outbox (ticket_id, event, recipient, subject, body_text, message_id, in_reply_to, references_ids,
                             state, attempts, last_error, next_attempt_at, created_at, sent_at, delivered_to, released)
         VALUES (1, 'ticket_new', 'marie@ac-exemple.fr', '[GLPI #0000001] Imprimante', 'Bonjour', 'mailgate.1.ticket_new.a@ac-exemple.fr',
                 'm1@ac-exemple.fr', 'm1@ac-exemple.fr mailgate.1@ac-exemple.fr', 'sent', 1, NULL,
                 '2026-03-01T08:00:00Z', '2026-03-01T08:00:00Z', '2026-03-01T08:00:05Z', '/var/outbox/x.eml', 0),
                (1, 'followup', 'paul@ac-exemple.fr', '[GLPI #0000001] Imprimante', 'Suivi', 'mailgate.1.followup.b@ac-exemple.fr',
                 NULL, '', 'held', 3, 'held: too many', '2026-03-01T09:00:00Z', '2026-03-01T09:00:00Z', NULL, NULL, 1),
                (1, 'closed', 'paul@ac-exemple.fr', '[GLPI #0000001] Imprimante', 'Clos', 'mailgate.1.closed.c@ac-exemple.fr',
                 NULL, '', 'failed', 12, '550 no such user', '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z', NULL, NULL, 0);
         DELETE FROM outbox WHERE id = 3;",
    )
    .expect("rows of schema 3");
    let before = outbox_rows(&conn);
    drop(conn);

    let migrated = install.ok(&["db", "migrate"]);
    assert!(migrated.contains("schema version 3 -> "), "{migrated}");
    assert_eq!(install.ok(&["db", "check"]).trim(), "ok");

    let conn = Connection::open(install.path("mailgate.db")).expect("open");
    conn.pragma_update(None, "foreign_keys", "ON").expect("foreign keys");
    // Later migrations may add columns: the ones of schema 3 are compared.
    let kept: Vec<Vec<String>> = outbox_rows(&conn).into_iter().map(|r| r[..before[0].len()].to_vec()).collect();
    assert_eq!(kept, before, "every row and column kept");
    let problems: i64 =
        conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).expect("foreign_key_check");
    assert_eq!(problems, 0);
    let indexes: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("indexes");
    assert_eq!(indexes, ["outbox_due", "outbox_recipient_sent"]);
    conn.execute(
        "INSERT INTO outbox (ticket_id, event, recipient, subject, body_text, message_id, next_attempt_at, created_at)
         VALUES (NULL, 'daily_digest', 'alice@ac-exemple.fr', '[GLPI] Vos tickets ouverts – 1 ticket', 'x',
                 'mailgate.digest.d@ac-exemple.fr', '2026-03-02T06:30:00Z', '2026-03-02T06:30:00Z')",
        [],
    )
    .expect("a row naming no ticket");
    assert_eq!(conn.last_insert_rowid(), 4, "an id once given is not given again");
    let unknown = conn.execute(
        "INSERT INTO outbox (ticket_id, event, recipient, subject, body_text, message_id, next_attempt_at, created_at)
         VALUES (99, 'followup', 'a@ac-exemple.fr', 's', 'x', 'mailgate.99.followup.e@ac-exemple.fr', 'n', 'n')",
        [],
    );
    assert!(unknown.is_err(), "a ticket named must still exist");
    drop(conn);
    let listed = install.json(&["outbox", "list"]);
    let ids: Vec<(i64, serde_json::Value)> = listed
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["id"].as_i64().unwrap_or_default(), r["ticket_id"].clone()))
        .collect();
    assert_eq!(ids, [(1, 1.into()), (2, 1.into()), (4, serde_json::Value::Null)]);
}
