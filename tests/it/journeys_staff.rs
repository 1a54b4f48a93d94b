//! The staff's journeys of issue 13, played by mail only on the embedded
//! store and config.example.toml: a busy morning never silences a
//! technician while a responder that loops is stopped at the door; a
//! technician opens a ticket for a caller, cancels one and sets a
//! location; a ticket nobody has reaches every technician's digest.

use crate::desk;

use std::time::Duration;

use desk::{BAI, Desk, OTHER_BAI, REFERENT, expect};
use mailgate::clock::SystemClock;
use mailgate::intake::Outcome;
use mailgate::notify::sender::{SendPolicy, drain};
use mailgate::notify::transport::FileTransport;
use mailgate::store::OutboxState;

const SUPPORT: &str = "support-informatique@ac-exemple.fr";
const MARIE: &str = "marie.dupont@lyc-curie.ac-exemple.fr";

#[tokio::test]
async fn a_busy_morning_never_holds_a_technicians_notifications() {
    let mut desk = Desk::new();
    for n in 1..=25 {
        desk.mail(&format!("prof{n}@lyc-curie.ac-exemple.fr"), SUPPORT, &format!("Poste {n}"), None, "En panne.");
    }
    let dir = tempfile::tempdir().expect("folder");
    let transport = FileTransport::new(dir.path()).expect("file transport");
    let notifier = desk.pipeline.notifier();
    let from = "Support <support-informatique@ac-exemple.fr>".parse().expect("mailbox");
    let policy = SendPolicy::default();
    assert_eq!(policy.max_per_address_per_hour, 20, "the shipped guard");
    let report =
        drain(desk.pipeline.store_mut(), &transport, &notifier, &from, &policy, &SystemClock).await.expect("drain");
    assert_eq!((report.sent, report.held), (75, 0), "25 acknowledgments and 25 alerts to each technician");
    let to = |who: &str| {
        let rows = desk.pipeline.store().list_outbox(None).expect("outbox");
        rows.iter().filter(|r| r.recipient == who && r.state == OutboxState::Sent).count()
    };
    assert_eq!((to(BAI), to(OTHER_BAI)), (25, 25), "past 20 an hour, a technician still hears of every ticket");
}

#[test]
fn a_responder_that_loops_is_recorded_unanswered_past_the_hourly_limit_and_a_technician_never_is() {
    let mut desk = Desk::new();
    let robot = "alertes@lyc-hugo.ac-exemple.fr";
    for n in 1..=30 {
        let applied = desk.mail(robot, SUPPORT, &format!("Alerte {n}"), None, "Sauvegarde échouée.");
        assert_eq!(applied.outcome, Outcome::TicketCreated, "mail {n}: a person may write 30 mails an hour");
    }
    desk.queued();
    let held = desk.mail(robot, SUPPORT, "Alerte 31", None, "Sauvegarde échouée.");
    assert_eq!(held.outcome, Outcome::Ignored);
    expect(desk.queued(), &[], "the 31st mail within the hour is not answered");
    let listed = desk.pipeline.store().list_messages(Some(Outcome::Ignored), false).expect("messages");
    let reason = listed[0].reason.as_deref().unwrap_or("");
    assert!(reason.contains("loop guard") && reason.contains("intake.max_mails_per_sender_per_hour is 30"), "{reason}");

    // An hour later the sender is answered again.
    desk.advance(Duration::from_secs(3601));
    assert_eq!(desk.mail(robot, SUPPORT, "Alerte 32", None, "Sauvegarde OK.").outcome, Outcome::TicketCreated);

    // A technician writing as much is never stopped.
    for n in 1..=31 {
        let applied = desk.mail(BAI, SUPPORT, &format!("RE: [GLPI #{n:07}] Alerte"), None, "#take\nVu.");
        assert_eq!(applied.outcome, Outcome::FollowupAdded, "technician's mail {n}");
    }
}

#[test]
fn a_technician_forwarding_a_users_mail_opens_the_ticket_for_that_user() {
    let mut desk = Desk::new();
    let applied = desk.deliver(&format!(
        "From: Alice Martin <{BAI}>\nTo: {SUPPORT}\nSubject: TR: Imprimante du CDI\nMessage-ID: <fwd-1@ac-exemple.fr>\n\
         Content-Type: text/plain; charset=utf-8\n\nPour le support.\n\n\
         De : Marie Dupont <{MARIE}>\nEnvoyé : lundi 2 mars 2026 08:10\nÀ : Alice Martin\nObjet : Imprimante du CDI\n\n\
         L'imprimante du CDI affiche une erreur 50.4.\n"
    ));
    assert_eq!((applied.outcome, applied.ticket), (Outcome::TicketCreated, Some(1)));
    let new = "[GLPI #0000001] Lycée Marie Curie | Nouveau – Imprimante du CDI";
    expect(
        desk.queued(),
        &[("ticket_new", MARIE, new), ("ticket_new_staff", OTHER_BAI, new)],
        "Marie gets the acknowledgment; the other technician is told; Alice, who opened it, is not",
    );
    let ticket = desk.detail(1);
    assert_eq!(ticket.requester, MARIE);
    let created = ticket.history.iter().find(|h| h.action == "created").expect("created");
    assert_eq!(created.actor, BAI, "the technician is recorded as who opened it");
    assert!(created.detail.contains(&format!("for {MARIE}")), "{}", created.detail);
    assert!(ticket.description.contains("erreur 50.4"), "the forwarded text is the request");
}

#[test]
fn pour_opens_a_ticket_for_a_caller_and_a_technician_sets_its_location_and_cancels_it() {
    let mut desk = Desk::new();
    desk.mail(BAI, SUPPORT, "Écran noir salle 12", None, &format!("#pour {MARIE}\nAppel de Marie : écran noir."));
    let new = "[GLPI #0000001] Lycée Marie Curie | Nouveau – Écran noir salle 12";
    expect(desk.queued(), &[("ticket_new", MARIE, new), ("ticket_new_staff", OTHER_BAI, new)], "for Marie");
    assert_eq!(desk.detail(1).requester, MARIE);

    desk.reply(OTHER_BAI, "#lieu Bâtiment B, salle 12");
    assert_eq!(desk.detail(1).location.as_deref(), Some("Bâtiment B, salle 12"));
    expect(desk.queued(), &[], "a location alone disturbs nobody");

    desk.reply(OTHER_BAI, "#status annulé\nDoublon du ticket envoyé par le CPE.");
    let cancelled = "[GLPI #0000001] Lycée Marie Curie | Annulé – Écran noir salle 12";
    expect(desk.queued(), &[("followup", MARIE, cancelled)], "Marie is told why (Bruno, answering, took it)");
    assert_eq!(desk.detail(1).status.as_str(), "cancelled");
    let history: Vec<(String, String)> = desk.detail(1).history.into_iter().map(|h| (h.action, h.detail)).collect();
    assert!(history.contains(&("location".into(), "- -> Bâtiment B, salle 12".into())), "{history:?}");
}

#[test]
fn a_ticket_nobody_has_is_in_every_technicians_digest() {
    let mut desk =
        Desk::with_config(|c| c.replacen("transport = \"file\"", "transport = \"file\"\ndigest_at = \"07:30\"", 1));
    desk.mail(MARIE, SUPPORT, "Vidéoprojecteur salle B12", None, "Il ne s'allume plus.");
    desk.queued();
    let digests = desk.pipeline.queue_digests().expect("digests");
    let mut got: Vec<(String, Vec<i64>)> = digests.into_iter().map(|d| (d.recipient, d.tickets)).collect();
    got.sort();
    let everyone = [BAI, OTHER_BAI, REFERENT, "julien.moreau@ac-exemple.fr", "karim.benali@ac-exemple.fr"];
    let mut expected: Vec<(String, Vec<i64>)> = everyone.iter().map(|e| (e.to_string(), vec![1])).collect();
    expected.sort();
    assert_eq!(got, expected, "no rule filed it and nobody took it: no technician may miss it");
}
