//! The life cycle's edges, played by mail on config.example.toml: what must
//! not re-open, what must reach whom (the words, not only the event), and
//! when the approval delay starts. Each case once failed in review.

use crate::desk;

use std::time::Duration;

use desk::{BAI, Desk, REFERENT, REQUESTER};

const DAY: Duration = Duration::from_secs(86_400);

/// A ticket from the school, taken by Alice of the BAI.
fn taken() -> Desk {
    let mut desk = Desk::new();
    desk.mail(REQUESTER, "support-informatique@ac-exemple.fr", "Imprimante", None, "Elle ne s'allume plus.");
    desk.reply(BAI, "#take\nJe regarde.");
    desk.queued();
    desk
}

fn status(desk: &Desk) -> String {
    desk.detail(1).status.as_str().to_string()
}

/// The text of the latest notification to `recipient`, with its event.
fn last_to(desk: &Desk, recipient: &str) -> (String, String) {
    let rows = desk.pipeline.store().list_outbox(None).expect("outbox");
    let row = rows.iter().rev().find(|r| r.recipient == recipient).expect("a notification");
    (row.event.clone(), row.body_text.clone())
}

#[test]
fn the_approval_delay_counts_from_the_latest_solution() {
    let mut desk = taken();
    desk.reply(BAI, "#solve\nPremière solution.");
    desk.advance(6 * DAY);
    desk.reply(BAI, "#solve\nLa vraie solution.");
    desk.advance(DAY + Duration::from_secs(60));
    assert!(desk.pipeline.close_unanswered_solutions().expect("timer").is_empty(), "one day after the second");
    desk.advance(6 * DAY);
    assert_eq!(desk.pipeline.close_unanswered_solutions().expect("timer"), [1]);
    let solutions = desk.detail(1).solutions;
    let states: Vec<&str> = solutions.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(states, ["rejected", "accepted"], "the first was replaced, the second taken as accepted");
}

#[test]
fn a_late_acceptance_after_the_automatic_close_leaves_the_ticket_closed() {
    let mut desk = taken();
    desk.reply(BAI, "#solve\nLampe remplacée.");
    desk.advance(8 * DAY);
    assert_eq!(desk.pipeline.close_unanswered_solutions().expect("timer"), [1]);
    desk.queued();
    desk.reply(REQUESTER, "Accepter");
    assert_eq!(status(&desk), "closed");
    assert!(desk.queued().is_empty(), "the word alone disturbs nobody");
}

#[test]
fn a_second_cancel_leaves_the_ticket_cancelled() {
    let mut desk = taken();
    desk.reply(REQUESTER, "#annuler\nFinalement le toner était mal mis.");
    assert_eq!(status(&desk), "cancelled");
    let (event, text) = last_to(&desk, BAI);
    assert_eq!(event, "status_changed");
    assert!(text.contains("toner"), "the staff read the reason: {text}");
    desk.reply(REQUESTER, "#annuler");
    assert_eq!(status(&desk), "cancelled");
}

#[test]
fn a_public_closing_word_reaches_the_requester() {
    let mut desk = taken();
    desk.reply(BAI, "#status closed\nLe câble réseau a été remplacé, tout remarche.");
    let (event, text) = last_to(&desk, REQUESTER);
    assert_eq!(event, "closed");
    assert!(text.contains("câble réseau"), "{text}");
}

#[test]
fn a_private_note_never_reaches_the_requester_even_with_a_status_change() {
    let mut desk = taken();
    desk.reply(BAI, "#private #status pending\nSECRET fournisseur");
    desk.reply(BAI, "#private #status closed\nSECRET clôture");
    let rows = desk.pipeline.store().list_outbox(None).expect("outbox");
    let to_requester: Vec<_> = rows.iter().filter(|r| r.recipient == REQUESTER).collect();
    assert_eq!(to_requester.len(), 4, "acknowledgment, followup, pending, closed");
    for row in to_requester {
        assert!(!row.body_text.contains("SECRET"), "{}: {}", row.event, row.body_text);
    }
}

#[test]
fn closing_a_solved_ticket_settles_its_solution() {
    let mut desk = taken();
    desk.reply(BAI, "#solve\nLampe remplacée.");
    desk.reply(BAI, "#status closed");
    let ticket = desk.detail(1);
    assert_eq!(ticket.status.as_str(), "closed");
    assert_eq!(ticket.solutions[0].state, "accepted", "not left waiting");
}

#[test]
fn an_escalating_referent_keeps_observing_and_the_bai_keeps_the_ticket() {
    let mut desk = Desk::new();
    desk.mail(REQUESTER, "lsu-support@ac-exemple.fr", "LSU bloqué", None, "Le bouton reste grisé.");
    desk.reply(REFERENT, "#take\nJe regarde.");
    desk.reply(REFERENT, "#assign dsi-bai\nPour le BAI.");
    desk.reply(REFERENT, "Pour info, même souci l'an dernier.");
    assert!(desk.detail(1).technicians.is_empty(), "the note took nothing back");
    desk.queued();
    desk.reply(REQUESTER, "Toujours bloqué ce matin.");
    let recipients: Vec<String> =
        desk.queued().iter().map(|q| q.split(" | ").next().unwrap_or("").to_string()).collect();
    assert!(recipients.iter().any(|r| r.ends_with(BAI)), "the BAI hears the school: {recipients:?}");
}

#[test]
fn a_technicians_thanks_on_a_closed_ticket_do_not_reopen_it() {
    let mut desk = taken();
    desk.reply(BAI, "#solve\nLampe remplacée.");
    desk.reply(REQUESTER, "accepter");
    desk.reply(BAI, "Merci, bonne journée.");
    assert_eq!(status(&desk), "closed");
}
