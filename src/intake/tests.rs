//! `decide` as a table: each row a mail, the store's state, and the
//! decision expected. The store is a plain map behind [`View`].

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::config::Config;
use crate::lifecycle::Change;
use crate::mail::parse;
use crate::ticket::Status;

const CONFIG: &str = r#"
[database]
path = "m.db"
[institution]
name = "Académie d'Exemple"
allowed_domains = ["ac-exemple.fr"]
blocked_addresses = ["banni@ac-exemple.fr"]
ticket_url = "https://h/{id}"
[notifications]
from = "Support <support-informatique@ac-exemple.fr>"
transport = "file"
dir = "out"
[[technicians]]
email = "alice.martin@ac-exemple.fr"
name = "Alice Martin"
"#;

/// Ticket 1 (new, Marie, observer Paul), ticket 2 (closed, Jean), and the
/// mail that opened ticket 1.
struct Fixture;

impl View for Fixture {
    fn ticket(&self, id: TicketId) -> Option<TicketFacts> {
        match id {
            1 => Some(TicketFacts {
                id: 1,
                status: Status::New,
                requester: "marie.dupont@ac-exemple.fr".into(),
                observers: vec!["paul.durand@ac-exemple.fr".into()],
                technicians: vec![],
                assigned_groups: vec![],
                observer_groups: vec![],
                urgency: 3,
                impact: 3,
                solver: None,
            }),
            2 => Some(TicketFacts {
                id: 2,
                status: Status::Closed,
                requester: "jean.bernard@ac-exemple.fr".into(),
                observers: vec![],
                technicians: vec!["alice.martin@ac-exemple.fr".into()],
                assigned_groups: vec![],
                observer_groups: vec![],
                urgency: 3,
                impact: 3,
                solver: None,
            }),
            _ => None,
        }
    }
    fn ticket_of_message(&self, message_id: &str) -> Option<TicketId> {
        // The first mail of ticket 1, and a notification this mailgate sent
        // about it before Message-IDs named their instance.
        matches!(message_id, "origin-1@ac-exemple.fr" | "mailgate.1.followup.0123456789abcdef@ac-exemple.fr")
            .then_some(1)
    }
    fn earlier_copy(&self, message_id: &str, _hash: &str) -> Option<i64> {
        (message_id == "already@ac-exemple.fr").then_some(7)
    }
}

fn intake(reopen: bool) -> Intake {
    let text = CONFIG.replace("[[technicians]]", &format!("[tickets]\nreopen_on_reply = {reopen}\n[[technicians]]"));
    Intake::new(Arc::new(Config::from_toml(&text, Path::new("t.toml"), Path::new("/")).expect("config")))
}

/// What a decision comes to, in one comparable line.
fn summary(d: &Decision) -> String {
    match d {
        Decision::NewTicket { title, related, note, .. } => {
            format!(
                "new \"{title}\"{}{}",
                related.map(|r| format!(" related #{r}")).unwrap_or_default(),
                if note.is_some() { " (noted)" } else { "" }
            )
        }
        Decision::Followup { ticket, role, plan, .. } => {
            let status = plan.changes.iter().find_map(|c| match c {
                Change::Status(s) => Some(format!(" -> {s}")),
                _ => None,
            });
            let assigned = plan.changes.iter().any(|c| matches!(c, Change::AssignTechnician(_)));
            format!(
                "followup #{ticket} by {}{}{}",
                role.as_str(),
                status.unwrap_or_default(),
                if assigned { " assigned" } else { "" }
            )
        }
        Decision::AutoReply { ticket, .. } => format!("answer on #{ticket}"),
        Decision::Refuse { .. } => "refuse".into(),
        Decision::Quarantine { .. } => "quarantine".into(),
        Decision::Decline { .. } => "decline".into(),
        Decision::Ignore { .. } => "ignore".into(),
        Decision::Duplicate { of } => format!("duplicate of {of}"),
    }
}

#[test]
fn decisions() {
    let cases: &[(&str, bool, &str, &str)] = &[
        (
            "a first mail opens a ticket",
            true,
            "From: marie.dupont@ac-exemple.fr\nSubject: Imprimante",
            "new \"Imprimante\"",
        ),
        (
            "the token threads the requester's reply",
            true,
            "From: marie.dupont@ac-exemple.fr\nSubject: RE: [GLPI #0000001] Imprimante",
            "followup #1 by requester",
        ),
        (
            "the token without zeros threads too",
            true,
            "From: marie.dupont@ac-exemple.fr\nSubject: Re: [GLPI #1]",
            "followup #1 by requester",
        ),
        (
            "an observer may add a followup",
            true,
            "From: paul.durand@ac-exemple.fr\nSubject: TR: [GLPI #1]",
            "followup #1 by observer",
        ),
        (
            "a technician's answer assigns them and starts work",
            true,
            "From: alice.martin@ac-exemple.fr\nSubject: RE: [GLPI #1]",
            "followup #1 by technician -> assigned assigned",
        ),
        (
            "a stranger's reply opens their own ticket",
            true,
            "From: luc.moreau@ac-exemple.fr\nSubject: RE: [GLPI #1] Imprimante",
            "new \"Imprimante\" related #1 (noted)",
        ),
        (
            "a token for no ticket opens a ticket",
            true,
            "From: marie.dupont@ac-exemple.fr\nSubject: [GLPI #9999] Écran",
            "new \"Écran\" (noted)",
        ),
        (
            "headers beat the subject",
            true,
            "From: marie.dupont@ac-exemple.fr\nSubject: autre chose\nIn-Reply-To: <mailgate-support-informatique.1.ticket_new.0123456789abcdef@ac-exemple.fr>",
            "followup #1 by requester",
        ),
        (
            "GLPI's own Message-IDs keep threading",
            true,
            "From: marie.dupont@ac-exemple.fr\nSubject: x\nReferences: <GLPI_ab12-Ticket-1/followup.1.2@glpi.ac-exemple.fr>",
            "followup #1 by requester",
        ),
        (
            "a reply to the opening mail threads",
            true,
            "From: paul.durand@ac-exemple.fr\nSubject: Re: Imprimante\nIn-Reply-To: <origin-1@ac-exemple.fr>",
            "followup #1 by observer",
        ),
        (
            "a reply to a closed ticket re-opens it",
            true,
            "From: jean.bernard@ac-exemple.fr\nSubject: RE: [GLPI #2]",
            "followup #2 by requester -> assigned",
        ),
        (
            "or opens a new one when re-opening is off",
            false,
            "From: jean.bernard@ac-exemple.fr\nSubject: RE: [GLPI #2] Pronote",
            "new \"Pronote\" related #2 (noted)",
        ),
        (
            "a reply to the daily digest names no ticket: it opens a ticket of its own",
            true,
            "From: alice.martin@ac-exemple.fr\nSubject: RE: [GLPI] Vos tickets ouverts – 2 tickets\nIn-Reply-To: <mailgate-support-informatique.digest.0123456789abcdef@ac-exemple.fr>",
            "new \"[GLPI] Vos tickets ouverts – 2 tickets\" (noted)",
        ),
        (
            "a reply to the digest whose subject names a ticket goes to that ticket",
            true,
            "From: alice.martin@ac-exemple.fr\nSubject: [GLPI #1] Imprimante\nIn-Reply-To: <mailgate-support-informatique.digest.0123456789abcdef@ac-exemple.fr>",
            "followup #1 by technician -> assigned assigned",
        ),
        (
            "a digest that comes back is mailgate's own mail",
            true,
            "From: alice.martin@ac-exemple.fr\nMessage-ID: <mailgate-support-informatique.digest.0123456789abcdef@ac-exemple.fr>\nSubject: [GLPI] Vos tickets ouverts – 2 tickets",
            "ignore",
        ),
        ("a foreign sender is refused", true, "From: x@gmail.com\nSubject: [GLPI #1]", "refuse"),
        ("a blocked address is refused", true, "From: banni@ac-exemple.fr\nSubject: hello", "refuse"),
        (
            "mailgate's own address is ignored",
            true,
            "From: support-informatique@ac-exemple.fr\nSubject: [GLPI #1]",
            "ignore",
        ),
        (
            "an auto-reply is ignored",
            true,
            "From: marie.dupont@ac-exemple.fr\nAuto-Submitted: auto-replied\nSubject: RE: [GLPI #1]",
            "ignore",
        ),
        (
            "X-Auto-Response-Suppress is a person's mail",
            true,
            "From: marie.dupont@ac-exemple.fr\nX-Auto-Response-Suppress: All\nSubject: Écran",
            "new \"Écran\"",
        ),
        (
            "a list mail is ignored",
            true,
            "From: marie.dupont@ac-exemple.fr\nList-Id: <info.ac-exemple.fr>\nSubject: Lettre",
            "ignore",
        ),
        (
            "a known mail is a duplicate",
            true,
            "From: marie.dupont@ac-exemple.fr\nMessage-ID: <already@ac-exemple.fr>\nSubject: x",
            "duplicate of 7",
        ),
        (
            "no subject takes the first line as title",
            true,
            "From: marie.dupont@ac-exemple.fr",
            "new \"Le poste 12 ne démarre plus\"",
        ),
    ];
    let mut failures = Vec::new();
    for (name, reopen, headers, expected) in cases {
        let raw = format!("{headers}\n\nLe poste 12 ne démarre plus\n").replace('\n', "\r\n");
        let mail = parse(raw.as_bytes()).expect("parses");
        let got = summary(&intake(*reopen).decide(&mail, &Fixture));
        if got != *expected {
            failures.push(format!("{name}: got {got}, expected {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reasons_name_what_to_fix() {
    let mail = parse(b"From: x@gmail.com\r\nSubject: s\r\n\r\nx\r\n").expect("parses");
    let Decision::Refuse { reason } = intake(true).decide(&mail, &Fixture) else {
        panic!("a foreign sender is refused")
    };
    assert!(reason.contains("gmail.com") && reason.contains("institution.allowed_domains"), "{reason}");
}

#[test]
fn addresses_that_are_not_plain_are_refused_as_sender_as_cc_and_in_observer() {
    let hostile = [
        "evil%evil.com@ac-exemple.fr",
        "evil.com!evil@ac-exemple.fr",
        "jean@ac-exemple.fr.",
        "\"evil@evil.com\"@ac-exemple.fr",
        "\"jean dupont\"@ac-exemple.fr",
        "jean\0dupont@ac-exemple.fr",
    ];
    let intake = intake(true);
    let mut failures = Vec::new();
    for address in hostile {
        let as_sender = format!("From: <{address}>\r\nSubject: Imprimante\r\n\r\nx\r\n");
        let mail = parse(as_sender.as_bytes()).expect("parses");
        if !matches!(intake.decide(&mail, &Fixture), Decision::Refuse { .. }) {
            failures.push(format!("as sender: {address:?} was not refused"));
        }

        let as_cc = format!("From: marie.dupont@ac-exemple.fr\r\nCc: <{address}>\r\nSubject: Écran\r\n\r\nx\r\n");
        let mail = parse(as_cc.as_bytes()).expect("parses");
        match intake.decide(&mail, &Fixture) {
            Decision::NewTicket { observers, .. } if observers.is_empty() => {}
            other => failures.push(format!("as cc: {address:?} gave {}", summary(&other))),
        }

        let command = format!(
            "From: alice.martin@ac-exemple.fr\r\nSubject: RE: [GLPI #0000001] Imprimante\r\n\r\n#observer {address}\r\n"
        );
        let mail = parse(command.as_bytes()).expect("parses");
        if !matches!(intake.decide(&mail, &Fixture), Decision::AutoReply { .. }) {
            failures.push(format!("in #observer: {address:?} was not answered with an error"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn two_mailgates_of_one_domain_never_act_on_each_others_tickets() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "a technician answering the other instance's ticket 1, this one in Cc",
            "From: alice.martin@ac-exemple.fr\nSubject: RE: [GLPI #0000001] Autre chose\nIn-Reply-To: <mailgate-support-lycee.1.ticket_new.0123456789abcdef@ac-exemple.fr>",
            "ignore",
        ),
        (
            "our notification of before instances, which our outbox holds, still threads",
            "From: marie.dupont@ac-exemple.fr\nSubject: autre chose\nIn-Reply-To: <mailgate.1.followup.0123456789abcdef@ac-exemple.fr>",
            "followup #1 by requester",
        ),
        (
            "an id of the old form our outbox does not hold is another mailgate's",
            "From: alice.martin@ac-exemple.fr\nSubject: RE: [GLPI #0000001] x\nIn-Reply-To: <mailgate.1.followup.fedcba9876543210@ac-exemple.fr>",
            "ignore",
        ),
        (
            "the other instance's notification itself is never answered",
            "From: support-lycee@ac-exemple.fr\nMessage-ID: <mailgate-support-lycee.1.ticket_new.01@ac-exemple.fr>\nSubject: [GLPI #0000001] x",
            "ignore",
        ),
    ];
    let mut failures = Vec::new();
    for (name, headers, expected) in cases {
        let raw = format!("{headers}\n\n#solve\nC'est réparé.\n").replace('\n', "\r\n");
        let mail = parse(raw.as_bytes()).expect("parses");
        let got = summary(&intake(true).decide(&mail, &Fixture));
        if got != *expected {
            failures.push(format!("{name}: got {got}, expected {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
