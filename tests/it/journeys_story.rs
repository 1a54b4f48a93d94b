//! Issue 13, points 8 and 10, played by mail on the shipped configuration:
//! every notification says who handles the ticket and quotes the latest
//! public followups below its news; and the French reads as a person
//! writes it (names in greetings, command errors in French quoting the
//! command as written, the reason of an automatic close, « n° 1 », the
//! *En attente* mail asking for an answer, an observer's acknowledgement
//! that is not about "your request", format=flowed text re-joined).

use crate::desk;

use std::time::Duration;

use desk::{BAI, Desk, OTHER_REFERENT, REFERENT, REQUESTER, expect};
use mailgate::pipeline::Processed;

const LSU: &str = "[GLPI #0000001] Collège Jean Moulin";
const TITLE: &str = "Impossible de verrouiller les livrets de 3e";

/// The text of each notification queued since `from` (an outbox length),
/// as (event, recipient, text).
fn texts(desk: &Desk, from: usize) -> Vec<(String, String, String)> {
    let rows = desk.pipeline.store().list_outbox(None).expect("outbox");
    rows[from..].iter().map(|r| (r.event.clone(), r.recipient.clone(), r.body_text.clone())).collect()
}

fn outbox_len(desk: &Desk) -> usize {
    desk.pipeline.store().list_outbox(None).expect("outbox").len()
}

fn text_to<'a>(texts: &'a [(String, String, String)], event: &str, to: &str) -> &'a str {
    texts
        .iter()
        .find(|(e, r, _)| e == event && r == to)
        .map(|(_, _, t)| t.as_str())
        .unwrap_or_else(|| panic!("no {event} to {to} in {texts:#?}"))
}

#[test]
fn each_notification_names_who_handles_the_ticket_and_quotes_the_story_below_the_news() {
    let mut desk = Desk::new();
    let assigned = format!("{LSU} | En cours (Attribué) – {TITLE}");
    desk.mail(REQUESTER, "lsu-support@ac-exemple.fr", TITLE, None, "Le bouton reste grisé.");
    let opened = texts(&desk, 0);
    assert!(
        text_to(&opened, "ticket_new", REQUESTER).contains("\nEn charge : groupe « Référents LSU »\n"),
        "the acknowledgment says who handles it: {opened:#?}"
    );
    desk.queued();

    desk.reply(REFERENT, "#take\nJe regarde votre établissement.");
    desk.queued();
    let before = outbox_len(&desk);
    desk.reply(REQUESTER, "Merci, c'est la classe de 3e B.");
    expect(
        desk.queued(),
        &[("followup", REFERENT, &assigned)],
        "the requester's answer goes to the referent who took it",
    );
    let sent = texts(&desk, before);
    let text = text_to(&sent, "followup", REFERENT);
    let news = text.find("Merci, c'est la classe de 3e B.").expect("the news");
    let handled = text.find("\nEn charge : groupe « Référents LSU », claire.petit@ac-exemple.fr\n").expect("who");
    let story = text
        .find(
            "\nDerniers suivis :\n\nLe 2 mars 2026 à 08:30 (UTC), claire.petit@ac-exemple.fr :\n\
             Je regarde votre établissement.\n",
        )
        .unwrap_or_else(|| panic!("the referent's earlier followup is quoted: {text}"));
    let signature = text.rfind("\n--\n").expect("signature");
    assert!(news < handled && handled < story && story < signature, "news, who, story, signature: {text}");
    assert_eq!(text.matches("Merci, c'est la classe de 3e B.").count(), 1, "the news is not quoted again: {text}");

    // A private note is never quoted to anyone, and the count is bounded
    // by notifications.history_followups (3 in the shipped configuration).
    desk.reply(REFERENT, "#privé\nVoir avec le rectorat.");
    for n in 1..=4 {
        desk.reply(REFERENT, &format!("Étape {n} faite."));
    }
    desk.queued();
    let before = outbox_len(&desk);
    desk.reply(REQUESTER, "Toujours bloqué.");
    let sent = texts(&desk, before);
    let text = text_to(&sent, "followup", REFERENT);
    let story = &text[text.find("Derniers suivis").expect("story")..];
    let quoted: Vec<&str> = ["Étape 4 faite.", "Étape 3 faite.", "Étape 2 faite.", "Étape 1 faite."]
        .into_iter()
        .filter(|s| story.contains(s))
        .collect();
    assert_eq!(quoted, ["Étape 4 faite.", "Étape 3 faite.", "Étape 2 faite."], "the three latest, newest first");
    assert!(!story.contains("rectorat"), "a private note is never quoted: {story}");
}

#[test]
fn french_notifications_read_as_written_by_a_person() {
    let mut desk = Desk::new();
    // An observer's acknowledgement is not about "your request", and a
    // number in a sentence has no zeros.
    let raw = format!(
        "From: {REQUESTER}\r\nTo: support-informatique@ac-exemple.fr\r\nCc: paul.durand@clg-moulin.ac-exemple.fr\r\n\
         Subject: Imprimante\r\nMessage-ID: <flowed@mua.ac-exemple.fr>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n\
         L'imprimante de la salle 12 affiche une erreur depuis \r\nce matin.\r\n"
    );
    let Processed::Recorded(opened) = desk.pipeline.process("support", "flowed", raw.as_bytes()).expect("recorded")
    else {
        panic!("recorded")
    };
    assert_eq!(opened.ticket, Some(1));
    assert_eq!(
        desk.detail(1).description,
        "L'imprimante de la salle 12 affiche une erreur depuis ce matin.",
        "format=flowed is re-joined"
    );
    let sent = texts(&desk, 0);
    let ack = text_to(&sent, "ticket_new", REQUESTER);
    assert!(ack.contains("Votre demande a bien été enregistrée sous le numéro 1.\n"), "{ack}");
    let observer = text_to(&sent, "ticket_new", "paul.durand@clg-moulin.ac-exemple.fr");
    assert!(
        observer.contains("a ouvert la demande n° 1 en vous mettant en copie"),
        "the observer is told whose request it is: {observer}"
    );
    assert!(!observer.contains("votre demande"), "not the observer's request: {observer}");
    desk.queued();

    // A technician assigned by address is greeted by the configured name.
    let before = outbox_len(&desk);
    desk.reply(BAI, "#take\nJe m'en occupe.");
    desk.reply(BAI, "#attribuer bruno.leroy@ac-exemple.fr\nBruno, peux-tu passer ?");
    let sent = texts(&desk, before);
    let assigned = text_to(&sent, "assigned", "bruno.leroy@ac-exemple.fr");
    assert!(assigned.contains("Bonjour Bruno Leroy,\n"), "{assigned}");
    assert!(assigned.contains("Alice Martin vous a attribué le ticket n° 1.\n"), "{assigned}");

    // A command error is in French, quoting the command as written.
    let before = outbox_len(&desk);
    desk.reply(BAI, "#Statut en atente\nJ'attends le modèle exact.");
    let sent = texts(&desk, before);
    let error = text_to(&sent, "command_error", BAI);
    assert!(
        error.contains(
            "  - « #Statut en atente » : statut inconnu ; écrivez en cours, planifié, en attente, résolu, clos ou annulé\n"
        ),
        "{error}"
    );
    assert!(!error.contains("expected"), "no English in a French answer: {error}");

    // *En attente*: the requester is told an answer is expected.
    let before = outbox_len(&desk);
    desk.reply(BAI, "#statut en attente");
    let sent = texts(&desk, before);
    let pending = text_to(&sent, "status_changed", REQUESTER);
    assert!(pending.contains("Le ticket est en attente de votre réponse : Alice Martin a besoin\n"), "{pending}");

    // The automatic close says why.
    desk.reply(BAI, "#résoudre\nLe pilote a été réinstallé.");
    desk.queued();
    let before = outbox_len(&desk);
    desk.advance(Duration::from_secs(8 * 86_400));
    assert_eq!(desk.pipeline.close_unanswered_solutions().expect("timer"), [1]);
    let sent = texts(&desk, before);
    let closed = text_to(&sent, "closed", REQUESTER);
    assert!(
        closed.contains(
            "Le ticket n° 1 « Imprimante » a été clos automatiquement : la solution proposée\n\
             est restée sans réponse pendant 7 jours, elle est donc considérée comme acceptée.\n"
        ),
        "{closed}"
    );
}

#[test]
fn a_technician_without_a_configured_name_is_greeted_by_the_name_their_mail_gave() {
    let mut desk = Desk::new();
    desk.mail(REQUESTER, "lsu-support@ac-exemple.fr", TITLE, None, "Le bouton reste grisé.");
    desk.mail(
        &format!("Julien Moreau <{OTHER_REFERENT}>"),
        "support-informatique@ac-exemple.fr",
        &format!("RE: {LSU} | En cours (Attribué) – {TITLE}"),
        None,
        "#prendre\nJe regarde.",
    );
    let before = outbox_len(&desk);
    desk.reply(REQUESTER, "Merci !");
    let sent = texts(&desk, before);
    let text = text_to(&sent, "followup", OTHER_REFERENT);
    assert!(text.contains("Bonjour Julien Moreau,\n"), "not the bare address: {text}");
    assert!(text.contains("\nEn charge : groupe « Référents LSU », Julien Moreau\n"), "{text}");
}
