//! The helpdesk life cycle played through mail only, on the embedded store
//! and the school-district configuration shipped as config.example.toml:
//! an LSU request routed to the functional referents, taken, escalated to
//! the DSI's BAI, solved, rejected, solved again and accepted; a second
//! ticket closed by the daemon's timer when nobody answers its solution.
//! After every mail, the test checks exactly which notifications were
//! queued: event, recipient and subject.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailgate::clock::Clock;
use mailgate::config::Config;
use mailgate::intake::Outcome;
use mailgate::pipeline::{Pipeline, Processed};
use mailgate::store::{Applied, Store};
use time::OffsetDateTime;

const REQUESTER: &str = "secretariat@clg-moulin.ac-exemple.fr";
const REFERENT: &str = "claire.petit@ac-exemple.fr";
const OTHER_REFERENT: &str = "julien.moreau@ac-exemple.fr";
const BAI: &str = "alice.martin@ac-exemple.fr";
const OTHER_BAI: &str = "bruno.leroy@ac-exemple.fr";

/// A clock the test moves by hand.
struct ManualClock(Mutex<OffsetDateTime>);

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
}

/// The helpdesk as users see it: mail in, notifications out.
struct Desk {
    pipeline: Pipeline,
    clock: Arc<ManualClock>,
    sent: usize,
    seen_outbox: usize,
}

/// One queued notification, as compared: "event -> recipient | subject".
type Queued = String;

impl Desk {
    fn new() -> Desk {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let config = Config::load(&path).expect("config.example.toml loads");
        let clock = Arc::new(ManualClock(Mutex::new(time::macros::datetime!(2026-03-02 08:30 UTC))));
        let store = Store::open_in_memory().expect("store");
        let pipeline = Pipeline::new(store, Arc::new(config), clock.clone()).expect("pipeline");
        Desk { pipeline, clock, sent: 0, seen_outbox: 0 }
    }

    /// Delivers a mail from `from` and returns what it became.
    fn mail(&mut self, from: &str, to: &str, subject: &str, in_reply_to: Option<&str>, body: &str) -> Applied {
        self.sent += 1;
        let threading =
            in_reply_to.map(|id| format!("In-Reply-To: <{id}>\r\nReferences: <{id}>\r\n")).unwrap_or_default();
        let raw = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <m{n}@mua.ac-exemple.fr>\r\n{threading}\
             Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
            n = self.sent
        );
        match self.pipeline.process("support", &format!("k{}", self.sent), raw.as_bytes()).expect("recorded") {
            Processed::Recorded(applied) => applied,
            Processed::AlreadyRecorded => panic!("mail {} taken for an earlier one", self.sent),
        }
    }

    /// Replies to the latest notification `from` received, keeping its
    /// subject (as a mail client does) and quoting it below.
    fn reply(&mut self, from: &str, body: &str) -> Applied {
        let rows = self.pipeline.store().list_outbox(None).expect("outbox");
        let last = rows.iter().rev().find(|r| r.recipient == from).expect("a notification to reply to");
        let quoted =
            format!("{body}\r\n\r\nLe 2 mars 2026, Support a écrit :\r\n> {}", last.body_text.replace('\n', "\n> "));
        let (id, subject) = (last.message_id.clone(), format!("RE: {}", last.subject));
        self.mail(from, "support-informatique@ac-exemple.fr", &subject, Some(&id), &quoted)
    }

    /// The notifications queued since the last call, in order.
    fn queued(&mut self) -> Vec<Queued> {
        let rows = self.pipeline.store().list_outbox(None).expect("outbox");
        let new: Vec<Queued> = rows[self.seen_outbox..]
            .iter()
            .map(|r| format!("{} -> {} | {}", r.event, r.recipient, r.subject))
            .collect();
        self.seen_outbox = rows.len();
        new
    }

    fn advance(&self, by: Duration) {
        let mut now = self.clock.0.lock().expect("clock");
        *now += by;
    }

    fn detail(&self, id: i64) -> mailgate::store::TicketDetail {
        self.pipeline.store().ticket_detail(id).expect("ticket")
    }

    /// The names of ticket `id`'s groups in `role` ("assigned", "observer").
    fn groups(&self, id: i64, role: &str) -> Vec<String> {
        self.detail(id).groups.into_iter().filter(|g| g.role == role).map(|g| g.name).collect()
    }
}

fn expect(queued: Vec<Queued>, expected: &[(&str, &str, &str)], step: &str) {
    let expected: Vec<String> = expected.iter().map(|(e, r, s)| format!("{e} -> {r} | {s}")).collect();
    assert_eq!(queued, expected, "{step}");
}

const LSU: &str = "[GLPI #0000001] Collège Jean Moulin";
const LSU_TITLE: &str = "Impossible de verrouiller les livrets de 3e";

#[test]
fn an_lsu_request_goes_from_the_referents_to_the_bai_and_back_to_an_accepted_solution() {
    let mut desk = Desk::new();
    let assigned = format!("{LSU} | En cours (Attribué) – {LSU_TITLE}");
    let solved = format!("{LSU} | Résolu – {LSU_TITLE}");

    // A school's secretariat writes to the LSU alias: routed to the referents.
    let opened = desk.mail(REQUESTER, "lsu-support@ac-exemple.fr", LSU_TITLE, None, "Le bouton reste grisé.");
    assert_eq!((opened.outcome, opened.ticket), (Outcome::TicketCreated, Some(1)));
    let ticket = desk.detail(1);
    assert_eq!(ticket.entity, "Collège Jean Moulin", "the school's domain gives the entity");
    assert_eq!(ticket.category.as_deref(), Some("Scolarité > LSU"));
    assert_eq!(desk.groups(1, "assigned"), ["referents-lsu"]);
    expect(
        desk.queued(),
        &[
            ("ticket_new", REQUESTER, &assigned),
            ("ticket_new_staff", REFERENT, &assigned),
            ("ticket_new_staff", OTHER_REFERENT, &assigned),
        ],
        "the acknowledgment to the school, the alert to both referents",
    );

    // A referent takes it.
    desk.reply(REFERENT, "#take\nJe regarde votre établissement.");
    assert_eq!(desk.detail(1).technicians, [REFERENT]);
    expect(desk.queued(), &[("followup", REQUESTER, &assigned)], "the school hears the referent");

    // ... and escalates to the BAI; the referents stay as observers.
    desk.reply(REFERENT, "#assign dsi-bai\nLa base LSU de l'établissement semble bloquée.");
    let ticket = desk.detail(1);
    assert_eq!(desk.groups(1, "assigned"), ["dsi-bai"]);
    assert_eq!(desk.groups(1, "observer"), ["referents-lsu"]);
    assert!(ticket.technicians.is_empty(), "the referent handed over: {:?}", ticket.technicians);
    expect(
        desk.queued(),
        &[
            ("assigned", BAI, &assigned),
            ("assigned", OTHER_BAI, &assigned),
            ("followup", REQUESTER, &assigned),
            ("followup", OTHER_REFERENT, &assigned),
        ],
        "the BAI is told it is theirs; the school and the other referent read the note",
    );

    // A BAI technician solves it.
    desk.reply(BAI, "#solve\nLa base a été réindexée : vous pouvez verrouiller les livrets.");
    expect(
        desk.queued(),
        &[
            ("solution_proposed", REQUESTER, &solved),
            ("solution_proposed", REFERENT, &solved),
            ("solution_proposed", OTHER_BAI, &solved),
            ("solution_proposed", OTHER_REFERENT, &solved),
        ],
        "the solution goes to the school, and to the staff for information",
    );

    // The school rejects it: re-opened, with the reply as a followup.
    desk.reply(REQUESTER, "Refuser : la classe de 3e B reste bloquée.");
    assert_eq!(desk.detail(1).status.as_str(), "assigned");
    expect(
        desk.queued(),
        &[
            ("solution_rejected", REFERENT, &assigned),
            ("solution_rejected", BAI, &assigned),
            ("solution_rejected", OTHER_BAI, &assigned),
            ("solution_rejected", OTHER_REFERENT, &assigned),
        ],
        "the rejection reaches everyone working on it",
    );

    // Solved again, then accepted: closed.
    desk.reply(BAI, "#résoudre\nLa 3e B est débloquée aussi.");
    assert_eq!(desk.queued().len(), 4, "the second solution goes to the same four people");
    desk.reply(REQUESTER, "accepter, merci !");
    let closed = format!("{LSU} | Clos – {LSU_TITLE}");
    expect(
        desk.queued(),
        &[
            ("solution_accepted", REQUESTER, &closed),
            ("solution_accepted", REFERENT, &closed),
            ("solution_accepted", BAI, &closed),
            ("solution_accepted", OTHER_BAI, &closed),
            ("solution_accepted", OTHER_REFERENT, &closed),
        ],
        "the school gets its confirmation, the staff the news",
    );
    let ticket = desk.detail(1);
    assert_eq!(ticket.status.as_str(), "closed");
    let actions: Vec<&str> = ticket.history.iter().map(|h| h.action.as_str()).collect();
    for expected in ["created", "group_assigned", "assigned", "group_unassigned", "group_observer_added"] {
        assert!(actions.contains(&expected), "history lacks {expected}: {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| **a == "solution_proposed").count(), 2);
    assert!(actions.contains(&"solution_rejected") && actions.contains(&"solution_accepted"), "{actions:?}");
}

#[test]
fn a_solution_nobody_answers_is_closed_after_the_delay_and_everyone_is_told() {
    let mut desk = Desk::new();
    desk.mail(
        "prof.durand@lyc-curie.ac-exemple.fr",
        "support-informatique@ac-exemple.fr",
        "Vidéoprojecteur salle B12",
        None,
        "Il ne s'allume plus.",
    );
    let new = "[GLPI #0000001] Lycée Marie Curie | Nouveau – Vidéoprojecteur salle B12";
    expect(
        desk.queued(),
        &[
            ("ticket_new", "prof.durand@lyc-curie.ac-exemple.fr", new),
            ("ticket_new_staff", BAI, new),
            ("ticket_new_staff", OTHER_BAI, new),
        ],
        "no rule matches: every technician is told",
    );
    desk.reply(BAI, "#take #solve\nLampe remplacée.");
    expect(
        desk.queued(),
        &[(
            "solution_proposed",
            "prof.durand@lyc-curie.ac-exemple.fr",
            "[GLPI #0000001] Lycée Marie Curie | Résolu – Vidéoprojecteur salle B12",
        )],
        "Alice took it: the solution goes to the teacher alone",
    );

    desk.advance(Duration::from_secs(6 * 86_400));
    assert!(desk.pipeline.close_unanswered_solutions().expect("timer").is_empty(), "six days: still waiting");
    desk.advance(Duration::from_secs(86_400));
    assert_eq!(desk.pipeline.close_unanswered_solutions().expect("timer"), [1]);
    let closed = "[GLPI #0000001] Lycée Marie Curie | Clos – Vidéoprojecteur salle B12";
    expect(
        desk.queued(),
        &[("closed", "prof.durand@lyc-curie.ac-exemple.fr", closed), ("closed", BAI, closed)],
        "the requester and the technician hear of the automatic close",
    );
    assert!(desk.pipeline.close_unanswered_solutions().expect("timer").is_empty(), "closed once");
}

#[test]
fn requesters_commands_are_text_and_a_bad_command_gets_an_answer_and_changes_nothing() {
    let mut desk = Desk::new();
    desk.mail(REQUESTER, "lsu-support@ac-exemple.fr", LSU_TITLE, None, "Le bouton reste grisé.");
    desk.queued();

    // The requester cannot take or close their own ticket by command.
    let applied = desk.reply(REQUESTER, "#take\n#status closed\nPouvez-vous regarder ?");
    assert_eq!(applied.outcome, Outcome::FollowupAdded);
    let ticket = desk.detail(1);
    assert!(ticket.technicians.is_empty() && ticket.status.as_str() == "assigned", "nothing obeyed");
    assert!(ticket.followups[0].body.starts_with("#take"), "kept as text: {:?}", ticket.followups[0].body);
    desk.queued();

    // A referent's misspelt group: an answer to them alone, no change.
    let before = desk.detail(1).history.len();
    let applied = desk.reply(REFERENT, "#assign dsi-baii\nPour le BAI.");
    assert_eq!(applied.outcome, Outcome::Refused);
    let assigned = format!("{LSU} | En cours (Attribué) – {LSU_TITLE}");
    expect(desk.queued(), &[("command_error", REFERENT, &assigned)], "the error goes to its author only");
    let rows = desk.pipeline.store().list_outbox(None).expect("outbox");
    let answer = &rows.last().expect("the answer").body_text;
    assert!(answer.contains("dsi-baii") && answer.contains("dsi-bai"), "names the mistake and the groups: {answer}");
    assert_eq!(desk.detail(1).history.len(), before, "nothing changed");

    // #help sends the commands back.
    desk.reply(REFERENT, "#aide");
    expect(desk.queued(), &[("help", REFERENT, &assigned)], "help goes to its author");
}
