//! One path into the life cycle, whichever the door: an action from the web
//! (`Pipeline::act`) and the mail that means the same thing leave the same
//! history (but for the door each line records) and queue the same
//! notifications (event, recipient, subject). Each case plays the same
//! story on two desks, then acts by mail on one and by the web on the other.

use crate::desk;

use desk::{BAI, Desk, OTHER_REFERENT, REFERENT, REQUESTER};
use mailgate::desk::{Act, ActRequest};
use mailgate::lifecycle::commands::Command;
use mailgate::mail::{Attachment, Mailbox};
use mailgate::ticket::{Door, Role};

const TITLE: &str = "Impossible de verrouiller les livrets de 3e";

/// Where a case starts from.
#[derive(Clone, Copy)]
enum Start {
    /// Routed to the referents, nobody has taken it.
    New,
    /// Taken by a referent.
    Taken,
    /// Taken and solved by the referent.
    Solved,
}

fn desk_at(start: Start) -> Desk {
    let mut desk = Desk::new();
    desk.mail(REQUESTER, "lsu-support@ac-exemple.fr", TITLE, None, "Le bouton reste grisé.");
    if matches!(start, Start::Taken | Start::Solved) {
        desk.reply(REFERENT, "#take\nJe regarde votre établissement.");
    }
    if matches!(start, Start::Solved) {
        desk.reply(REFERENT, "#solve\nLa base a été réindexée.");
    }
    desk.queued();
    desk
}

/// A followup mail with a file, answering the latest notification `from` got.
fn mail_with_file(desk: &mut Desk, from: &str, text: &str, file: &[u8]) {
    let (id, subject, _) = desk.last_to(from);
    let raw = format!(
        "From: {from}\nTo: support-informatique@ac-exemple.fr\nSubject: RE: {subject}\nMessage-ID: <file@mua.ac-exemple.fr>\n\
         In-Reply-To: <{id}>\nReferences: <{id}>\nDate: Mon, 2 Mar 2026 09:00:00 +0000\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\
         --b\nContent-Type: text/plain; name=\"erreur.txt\"\nContent-Disposition: attachment; filename=\"erreur.txt\"\n\n{}\n--b--\n",
        String::from_utf8_lossy(file)
    );
    desk.deliver(&raw);
}

fn file(content: &[u8]) -> Attachment {
    Attachment {
        filename: "erreur.txt".into(),
        content_type: "text/plain".into(),
        size: content.len(),
        sha256: mailgate::mail::parse::sha256_hex(content),
        inline: false,
        content_id: None,
        content: content.to_vec(),
    }
}

/// The ticket's history lines from `from` on: (actor, action, detail), and their doors.
fn history_since(desk: &Desk, from: usize) -> (Vec<(String, String, String)>, Vec<String>) {
    let lines = desk.detail(1).history.split_off(from);
    let doors = lines.iter().map(|h| h.door.clone()).collect();
    (lines.into_iter().map(|h| (h.actor, h.action, h.detail)).collect(), doors)
}

/// What a ticket has become: its fields, people, groups, files and what
/// was said (and whether privately), as one comparable line.
fn facts(desk: &Desk) -> String {
    let t = desk.detail(1);
    let said: Vec<(&str, bool)> = t.followups.iter().map(|f| (f.body.as_str(), f.private)).collect();
    format!(
        "{:?} urgency {} priority {} category {:?} technicians {:?} observers {:?} groups {:?} files {} said {said:?}",
        t.status,
        t.urgency,
        t.priority,
        t.category,
        t.technicians,
        t.observers,
        t.groups,
        t.attachments.len(),
    )
}

struct Case {
    name: &'static str,
    start: Start,
    by_mail: fn(&mut Desk),
    author: &'static str,
    role: Role,
    what: ActRequest,
    text: &'static str,
    files: &'static [u8],
}

const FILE: &[u8] = b"Erreur 0x80070005 au verrouillage";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "the requester accepts the solution",
            start: Start::Solved,
            by_mail: |d| drop(d.reply(REQUESTER, "Accepter, merci !")),
            author: REQUESTER,
            role: Role::Requester,
            what: ActRequest::AcceptSolution,
            text: "merci !",
            files: b"",
        },
        Case {
            name: "the requester rejects the solution with a reason",
            start: Start::Solved,
            by_mail: |d| drop(d.reply(REQUESTER, "Refuser : la classe de 3e B reste bloquée.")),
            author: REQUESTER,
            role: Role::Requester,
            what: ActRequest::RejectSolution,
            text: "la classe de 3e B reste bloquée.",
            files: b"",
        },
        Case {
            name: "the requester cancels the request",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REQUESTER, "#annuler plus besoin, le collège a trouvé.")),
            author: REQUESTER,
            role: Role::Requester,
            what: ActRequest::Cancel,
            text: "plus besoin, le collège a trouvé.",
            files: b"",
        },
        Case {
            name: "the requester adds a followup with a file",
            start: Start::Taken,
            by_mail: |d| mail_with_file(d, REQUESTER, "Voici le message d'erreur.", FILE),
            author: REQUESTER,
            role: Role::Requester,
            what: ActRequest::Followup { private: false },
            text: "Voici le message d'erreur.",
            files: FILE,
        },
        Case {
            name: "a technician takes the ticket",
            start: Start::New,
            by_mail: |d| drop(d.reply(REFERENT, "#take\nJe regarde votre établissement.")),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Take]),
            text: "Je regarde votre établissement.",
            files: b"",
        },
        Case {
            name: "a technician solves the ticket",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REFERENT, "#solve\nLa base a été réindexée.")),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Solve]),
            text: "La base a été réindexée.",
            files: b"",
        },
        // The staff ticket page's forms: each is the mail command a
        // technician would write, with the form's text as the followup.
        Case {
            name: "a technician assigns the ticket to another group",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REFERENT, "#assign dsi-bai\nPour le BAI : la base semble bloquée.")),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Assign("dsi-bai".into())]),
            text: "Pour le BAI : la base semble bloquée.",
            files: b"",
        },
        Case {
            name: "a technician assigns the ticket to another technician",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REFERENT, &format!("#assign {OTHER_REFERENT}\nJulien connaît ce collège."))),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Assign(OTHER_REFERENT.into())]),
            text: "Julien connaît ce collège.",
            files: b"",
        },
        Case {
            name: "a technician adds an observer",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REFERENT, &format!("#observer {BAI}\nPour information."))),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Observer(BAI.into())]),
            text: "Pour information.",
            files: b"",
        },
        Case {
            name: "a technician puts the ticket on hold",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REFERENT, "#status pending\nJ'attends le retour de l'éditeur.")),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Status("pending".into())]),
            text: "J'attends le retour de l'éditeur.",
            files: b"",
        },
        Case {
            name: "a technician raises the urgency",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REFERENT, "#urgency 5\nLes conseils de classe sont demain.")),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Urgency("5".into())]),
            text: "Les conseils de classe sont demain.",
            files: b"",
        },
        Case {
            name: "a technician changes the category",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REFERENT, "#category Réseaux > Wi-Fi\nC'est le Wi-Fi de la salle.")),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Category("Réseaux > Wi-Fi".into())]),
            text: "C'est le Wi-Fi de la salle.",
            files: b"",
        },
        Case {
            // The staff page's private checkbox adds `#private`, as the
            // daemon's web desk does.
            name: "a technician writes a private note",
            start: Start::Taken,
            by_mail: |d| drop(d.reply(REFERENT, "#private\nLe mot de passe du compte de service a expiré.")),
            author: REFERENT,
            role: Role::Technician,
            what: ActRequest::Commands(vec![Command::Private]),
            text: "Le mot de passe du compte de service a expiré.",
            files: b"",
        },
    ]
}

#[test]
fn a_web_action_leaves_the_history_and_notifications_of_the_matching_mail_but_its_door() {
    let mut failures = Vec::new();
    for case in cases() {
        let mut mail = desk_at(case.start);
        let mut web = desk_at(case.start);
        let before = mail.detail(1).history.len();
        assert_eq!(before, web.detail(1).history.len(), "{}: same start", case.name);
        let started = facts(&mail);

        (case.by_mail)(&mut mail);
        let files = if case.files.is_empty() { Vec::new() } else { vec![file(case.files)] };
        let act = Act {
            ticket: 1,
            author: Mailbox::new(case.author, None),
            role: case.role,
            what: case.what.clone(),
            text: case.text.into(),
            attachments: files,
            door: Door::Web,
        };
        let acted = web.pipeline.act(&act).unwrap_or_else(|e| panic!("{}: {e}", case.name));

        let (by_mail, mail_doors) = history_since(&mail, before);
        let (by_web, web_doors) = history_since(&web, before);
        let (mail_queued, web_queued) = (mail.queued(), web.queued());
        // A private note tells nobody and writes no history line: the
        // followup it leaves is its trace.
        if by_mail.is_empty() && mail_queued.is_empty() && facts(&mail) == started {
            failures.push(format!("{}: the mail changed nothing: the case tests nothing", case.name));
        }
        if by_mail != by_web {
            failures.push(format!("{}: history by mail {by_mail:?}\n  by the web {by_web:?}", case.name));
        }
        if mail_doors.iter().any(|d| d != "mail") || web_doors.iter().any(|d| d != "web") {
            failures.push(format!("{}: doors {mail_doors:?} / {web_doors:?}", case.name));
        }
        if mail_queued != web_queued {
            failures.push(format!("{}: queued by mail {mail_queued:?}\n  by the web {web_queued:?}", case.name));
        }
        if acted.notifications != web_queued.len() {
            failures.push(format!("{}: acted says {} notifications", case.name, acted.notifications));
        }
        let (mail_ticket, web_ticket) = (facts(&mail), facts(&web));
        if mail_ticket != web_ticket {
            failures
                .push(format!("{}: the tickets differ\n  by mail {mail_ticket}\n  by the web {web_ticket}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_web_notification_answers_no_mail_but_the_tickets_thread() {
    let mut web = desk_at(Start::Taken);
    let act = Act {
        ticket: 1,
        author: Mailbox::new(REQUESTER, None),
        role: Role::Requester,
        what: ActRequest::Followup { private: false },
        text: "Toujours bloqué ce matin.".into(),
        attachments: Vec::new(),
        door: Door::Web,
    };
    web.pipeline.act(&act).expect("acted");
    let rows = web.pipeline.store().list_outbox(None).expect("outbox");
    let last = rows.last().expect("a notification");
    assert_eq!(
        last.in_reply_to.as_deref(),
        Some("mailgate-support-informatique.1@ac-exemple.fr"),
        "ticket 1's thread root"
    );
}

#[test]
fn a_web_action_by_someone_not_on_the_ticket_is_refused_and_writes_nothing() {
    let mut web = desk_at(Start::Solved);
    let before = web.detail(1).history.len();
    let act = Act {
        ticket: 1,
        author: Mailbox::new("stranger@clg-moulin.ac-exemple.fr", None),
        role: Role::Requester,
        what: ActRequest::AcceptSolution,
        text: String::new(),
        attachments: Vec::new(),
        door: Door::Web,
    };
    let error = web.pipeline.act(&act).expect_err("refused");
    assert!(error.to_string().contains("is not the requester"), "{error}");
    assert_eq!(web.detail(1).history.len(), before);
    assert!(web.queued().is_empty());
}
