//! The helpdesk life cycle played through mail only, on the embedded store
//! and the school-district configuration shipped as config.example.toml:
//! an LSU request routed to the functional referents, taken, escalated to
//! the DSI's BAI, solved, rejected, solved again and accepted; a second
//! ticket closed by the daemon's timer when nobody answers its solution.
//! After every mail, the test checks exactly which notifications were
//! queued: event, recipient and subject.

use crate::desk;

use std::time::Duration;

use desk::{BAI, Desk, OTHER_BAI, OTHER_REFERENT, REFERENT, REQUESTER, expect};
use mailgate::intake::Outcome;

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

    // The school rejects it: re-opened to Alice, who solved it, with the
    // reply as a followup; the school is told.
    desk.reply(REQUESTER, "Refuser : la classe de 3e B reste bloquée.");
    assert_eq!(desk.detail(1).status.as_str(), "assigned");
    assert_eq!(desk.detail(1).technicians, [BAI], "back to the technician who solved it");
    expect(
        desk.queued(),
        &[
            ("solution_rejected", REQUESTER, &assigned),
            ("solution_rejected", REFERENT, &assigned),
            ("solution_rejected", BAI, &assigned),
            ("solution_rejected", OTHER_REFERENT, &assigned),
        ],
        "the school, its solver and the referents hear of the rejection",
    );

    // Solved again, then accepted: closed.
    desk.reply(BAI, "#résoudre\nLa 3e B est débloquée aussi.");
    assert_eq!(desk.queued().len(), 3, "the second solution goes to the school and the referents");
    desk.reply(REQUESTER, "accepter, merci !");
    let closed = format!("{LSU} | Clos – {LSU_TITLE}");
    expect(
        desk.queued(),
        &[
            ("solution_accepted", REQUESTER, &closed),
            ("solution_accepted", REFERENT, &closed),
            ("solution_accepted", BAI, &closed),
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
