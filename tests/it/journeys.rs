//! The journeys of issue 13 that staff and requesters meet in their first
//! week, played by mail only on the embedded store and the shipped
//! config.example.toml: a thanks after a solution, another answer that
//! re-opens to whoever solved it, a colleague Cc'd on a reply, a reply
//! that is only a quote, and a site that replaced GLPI. After every mail
//! the test checks exactly which notifications were queued.

use crate::desk;

use desk::{BAI, Desk, OTHER_BAI, REQUESTER, expect};
use mailgate::intake::Outcome;

const TEACHER: &str = "prof.durand@lyc-curie.ac-exemple.fr";
const TITLE: &str = "Vidéoprojecteur salle B12";

fn subject(n: u32, status: &str) -> String {
    format!("[GLPI #{n:07}] Lycée Marie Curie | {status} – {TITLE}")
}

/// A teacher's request, solved by Alice without taking it first.
fn solved_by_alice(desk: &mut Desk) {
    desk.mail(TEACHER, "support-informatique@ac-exemple.fr", TITLE, None, "Il ne s'allume plus.");
    desk.reply(BAI, "#solve\nLampe remplacée.");
    desk.queued();
    assert!(desk.detail(1).technicians.is_empty(), "solved, not taken");
}

#[test]
fn merci_ca_fonctionne_accepts_the_solution_closes_the_ticket_and_confirms_it() {
    let mut desk = Desk::new();
    solved_by_alice(&mut desk);

    let applied = desk.reply(TEACHER, "Merci, ça fonctionne !");
    assert_eq!(applied.outcome, Outcome::FollowupAdded);
    let closed = subject(1, "Clos");
    expect(
        desk.queued(),
        &[
            ("solution_accepted", TEACHER, &closed),
            ("solution_accepted", BAI, &closed),
            ("solution_accepted", OTHER_BAI, &closed),
        ],
        "the teacher is told the ticket is closed; the technicians (nobody took it) hear of the thanks",
    );
    let ticket = desk.detail(1);
    assert_eq!(ticket.status.as_str(), "closed");
    assert_eq!(ticket.followups.last().map(|f| f.body.as_str()), Some("Merci, ça fonctionne !"));
    assert!(ticket.history.iter().any(|h| h.action == "solution_accepted"));
}

#[test]
fn any_other_answer_re_opens_the_ticket_to_the_technician_who_solved_it_and_the_requester_is_told() {
    let mut desk = Desk::new();
    solved_by_alice(&mut desk);

    desk.reply(TEACHER, "Merci, mais l'image reste floue.");
    let assigned = subject(1, "En cours (Attribué)");
    expect(
        desk.queued(),
        &[("solution_rejected", TEACHER, &assigned), ("solution_rejected", BAI, &assigned)],
        "the teacher learns it is re-opened; Alice alone, who solved it, is told (not every technician)",
    );
    let ticket = desk.detail(1);
    assert_eq!(ticket.status.as_str(), "assigned");
    assert_eq!(ticket.technicians, [BAI], "re-opened to its solver, not to nobody");
    assert_eq!(ticket.followups.last().map(|f| f.body.as_str()), Some("Merci, mais l'image reste floue."));
}

#[test]
fn a_colleague_in_cc_of_a_later_reply_becomes_an_observer_and_an_outsider_does_not() {
    let mut desk = Desk::new();
    desk.mail(TEACHER, "support-informatique@ac-exemple.fr", TITLE, None, "Il ne s'allume plus.");
    desk.reply(BAI, "#take\nJe passe demain.");
    desk.queued();
    let (id, subject_line, _) = desk.last_to(TEACHER);
    let colleague = "cpe@lyc-curie.ac-exemple.fr";
    desk.deliver(&format!(
        "From: {TEACHER}\nTo: support-informatique@ac-exemple.fr\nCc: {colleague}, parent@gmail.com, {OTHER_BAI}\n\
         Subject: RE: {subject_line}\nMessage-ID: <cc-1@lyc-curie.ac-exemple.fr>\nIn-Reply-To: <{id}>\n\
         Content-Type: text/plain; charset=utf-8\n\nLe CPE sera là pour vous ouvrir.\n"
    ));
    let assigned = subject(1, "En cours (Attribué)");
    expect(
        desk.queued(),
        &[("followup", colleague, &assigned), ("followup", BAI, &assigned)],
        "the colleague follows from this reply on; the outsider and the technician in Cc are not observers",
    );
    assert_eq!(desk.detail(1).observers, [colleague]);
    assert!(desk.detail(1).history.iter().any(|h| h.action == "observer_added" && h.detail == colleague));
}

#[test]
fn a_reply_that_is_only_a_quote_is_recorded_with_its_reason_and_disturbs_nobody() {
    let mut desk = Desk::new();
    desk.mail(REQUESTER, "support-informatique@ac-exemple.fr", "Imprimante", None, "Bourrage papier.");
    desk.queued();
    let before = desk.detail(1).history.len();
    let applied = desk.reply(REQUESTER, "");
    assert_eq!(applied.outcome, Outcome::Ignored);
    let reason = applied.reason.expect("a reason");
    assert!(reason.contains("ticket #1") && reason.contains("no new text"), "{reason}");
    expect(desk.queued(), &[], "nobody is notified of an empty reply");
    assert!(desk.detail(1).followups.is_empty());
    assert_eq!(desk.detail(1).history.len(), before);
    let listed = desk.pipeline.store().list_messages(Some(Outcome::Ignored), false).expect("messages");
    assert_eq!(listed.len(), 1, "`messages list` shows it with its reason");
    assert_eq!(listed[0].reason.as_deref(), Some(reason.as_str()));
}

#[test]
fn after_moving_from_glpi_an_old_thread_opens_a_new_ticket_that_records_the_old_number() {
    let mut desk =
        Desk::with_config(|c| c.replacen("auto_close_days = 7", "auto_close_days = 7\nfirst_number = 1500", 1));
    assert!(desk.pipeline.intake().config().advice().is_empty(), "no advice once first_number is set");

    // A reply to mailgate's own first ticket: numbered from 1500.
    desk.mail(TEACHER, "support-informatique@ac-exemple.fr", TITLE, None, "Il ne s'allume plus.");
    let new = subject(1500, "Nouveau");
    assert_eq!(desk.queued()[0], format!("ticket_new -> {TEACHER} | {new}"));

    // A technician answers an old GLPI thread: its Message-ID and token name #3.
    let applied = desk.deliver(&format!(
        "From: {BAI}\nTo: support-informatique@ac-exemple.fr\nSubject: RE: [GLPI #0000003] Collège Jean Moulin | Wi-Fi\n\
         Message-ID: <glpi-old@ac-exemple.fr>\n\
         In-Reply-To: <GLPI_5f3c2a1b9d8e7f60-Ticket-3/followup.1700000000.1@glpi.ac-exemple.fr>\n\
         Content-Type: text/plain; charset=utf-8\n\nLe mot de passe Wi-Fi est dans l'armoire.\n"
    ));
    assert_eq!((applied.outcome, applied.ticket), (Outcome::TicketCreated, Some(1501)), "never a followup");
    let reason = applied.reason.expect("the note");
    assert!(reason.starts_with("suite de GLPI #3"), "{reason}");
    let history = desk.detail(1501).history;
    assert!(history.iter().any(|h| h.action == "previous_ticket" && h.detail == "suite de GLPI #3"), "{history:?}");
    assert!(desk.detail(1500).followups.is_empty(), "mailgate's own ticket is untouched");

    // The same by subject token alone.
    let applied = desk.mail(REQUESTER, "support-informatique@ac-exemple.fr", "RE: [GLPI #0000042] Écran", None, "Re.");
    assert_eq!((applied.outcome, applied.ticket), (Outcome::TicketCreated, Some(1502)));
    // A token of mailgate's own still threads.
    let applied =
        desk.mail(TEACHER, "support-informatique@ac-exemple.fr", &format!("RE: {new}"), None, "Toujours éteint.");
    assert_eq!((applied.outcome, applied.ticket), (Outcome::FollowupAdded, Some(1500)));
}

#[test]
fn without_a_first_number_check_config_advises_one() {
    let desk = Desk::new();
    let advice = desk.pipeline.intake().config().advice();
    assert!(advice.iter().any(|a| a.contains("tickets.first_number")), "{advice:?}");
}
