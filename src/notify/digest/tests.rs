//! The digest's rules as tables over plain values: who gets which tickets,
//! in which order, and when a day's digest is due.

use std::path::Path;

use time::macros::datetime;

use super::*;
use crate::store::{OutboxRow, OutboxState};

const EXAMPLE: &str = include_str!("../../../config.example.toml");

fn config() -> Config {
    Config::from_toml(EXAMPLE, Path::new("/etc/mailgate/mailgate.toml"), Path::new("/etc/mailgate")).expect("example")
}

fn member(email: &str, groups: &[&str]) -> StaffMember {
    StaffMember {
        person: Person { email: email.into(), name: None },
        groups: groups.iter().map(|g| g.to_string()).collect(),
        dispatcher: false,
    }
}

fn ticket(id: TicketId, priority: u8, created_at: &str, technicians: &[&str], groups: &[&str]) -> OpenTicket {
    OpenTicket {
        id,
        title: format!("Ticket {id}"),
        status: Status::Assigned,
        priority,
        entity: "Collège Jean Moulin".into(),
        created_at: created_at.into(),
        updated_at: created_at.into(),
        technicians: technicians.iter().map(|t| t.to_string()).collect(),
        assigned_groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

/// "alice: #2, #1 (via dsi-bai)" per digest, in order.
fn summary(digests: &[Digest<'_>]) -> Vec<String> {
    digests
        .iter()
        .map(|d| {
            let lines: Vec<String> = d
                .lines
                .iter()
                .map(|l| match l.group {
                    Some(g) => format!("#{} (via {g})", l.ticket.id),
                    None if l.unowned => format!("#{} (nobody's)", l.ticket.id),
                    None => format!("#{}", l.ticket.id),
                })
                .collect();
            format!("{}: {}", d.recipient.email, lines.join(", "))
        })
        .collect()
}

#[test]
fn who_gets_which_tickets() {
    let staff = [
        member("alice@ac.fr", &["dsi-bai"]),
        member("bruno@ac.fr", &["dsi-bai"]),
        member("claire@ac.fr", &["referents-lsu"]),
        member("karim@ac.fr", &[]),
    ];
    let day = "2026-03-01T08:00:00Z";
    let cases: Vec<(&str, Vec<OpenTicket>, &[&str])> = vec![
        ("nothing open: nobody gets a digest", vec![], &[]),
        (
            "a technician of a ticket gets it, and nobody else",
            vec![ticket(1, 3, day, &["karim@ac.fr"], &[])],
            &["karim@ac.fr: #1"],
        ),
        (
            "an untaken ticket of a group goes to each member",
            vec![ticket(1, 3, day, &[], &["dsi-bai"])],
            &["alice@ac.fr: #1 (via dsi-bai)", "bruno@ac.fr: #1 (via dsi-bai)"],
        ),
        (
            "once taken, a group's ticket is its technician's alone",
            vec![ticket(1, 3, day, &["alice@ac.fr"], &["dsi-bai"])],
            &["alice@ac.fr: #1"],
        ),
        (
            "a ticket taken by someone outside the group leaves the group's digests",
            vec![ticket(1, 3, day, &["karim@ac.fr"], &["dsi-bai"])],
            &["karim@ac.fr: #1"],
        ),
        (
            "a ticket nobody has, in no group, is in every technician's digest",
            vec![ticket(1, 3, day, &[], &[])],
            &[
                "alice@ac.fr: #1 (nobody's)",
                "bruno@ac.fr: #1 (nobody's)",
                "claire@ac.fr: #1 (nobody's)",
                "karim@ac.fr: #1 (nobody's)",
            ],
        ),
        (
            "the highest priority first, then the oldest",
            vec![
                ticket(1, 3, "2026-02-01T08:00:00Z", &["alice@ac.fr"], &[]),
                ticket(2, 5, "2026-02-20T08:00:00Z", &["alice@ac.fr"], &[]),
                ticket(3, 3, "2026-01-15T08:00:00Z", &[], &["dsi-bai"]),
                ticket(4, 3, "2026-01-15T08:00:00Z", &["alice@ac.fr"], &[]),
            ],
            &["alice@ac.fr: #2, #3 (via dsi-bai), #4, #1", "bruno@ac.fr: #3 (via dsi-bai)"],
        ),
        (
            "addresses and group names compare in any case",
            vec![ticket(1, 3, day, &["Claire@AC.fr"], &[]), ticket(2, 3, day, &[], &["Referents-LSU"])],
            &["claire@ac.fr: #1, #2 (via referents-lsu)"],
        ),
        (
            "a ticket of two of one's groups is listed once",
            vec![ticket(1, 3, day, &[], &["dsi-bai", "referents-lsu"])],
            &["alice@ac.fr: #1 (via dsi-bai)", "bruno@ac.fr: #1 (via dsi-bai)", "claire@ac.fr: #1 (via referents-lsu)"],
        ),
    ];
    let mut failures = Vec::new();
    for (name, open, expected) in &cases {
        let got = summary(&select(&staff, open));
        if got != *expected {
            failures.push(format!("{name}:\n  got      {got:?}\n  expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn with_a_dispatcher_group_the_tickets_nobody_has_go_to_its_members_only() {
    let staff = [
        StaffMember { dispatcher: true, ..member("claire@ac.fr", &["referents-lsu"]) },
        member("alice@ac.fr", &["dsi-bai"]),
    ];
    let day = "2026-03-01T08:00:00Z";
    let open = [ticket(1, 3, day, &[], &[]), ticket(2, 3, day, &[], &["dsi-bai"])];
    assert_eq!(summary(&select(&staff, &open)), ["claire@ac.fr: #1 (nobody's)", "alice@ac.fr: #2 (via dsi-bai)"]);
}

#[test]
fn the_staff_are_the_technicians_and_every_group_member_but_never_a_list_address() {
    let staff = staff(&config());
    let got: Vec<(String, Option<String>, Vec<String>)> =
        staff.into_iter().map(|s| (s.person.email, s.person.name, s.groups)).collect();
    let expected = [
        ("alice.martin@ac-exemple.fr", Some("Alice Martin"), vec!["dsi-bai"]),
        ("bruno.leroy@ac-exemple.fr", Some("Bruno Leroy"), vec!["dsi-bai"]),
        ("claire.petit@ac-exemple.fr", None, vec!["referents-lsu"]),
        ("julien.moreau@ac-exemple.fr", None, vec!["referents-lsu"]),
        ("karim.benali@ac-exemple.fr", None, vec!["dsi-reseau"]),
    ]
    .map(|(e, n, g)| (e.to_string(), n.map(str::to_string), g.into_iter().map(str::to_string).collect::<Vec<_>>()));
    assert_eq!(got, expected);
}

#[test]
fn a_days_digest_is_due_from_its_time_on_the_local_calendar() {
    let at = TimeOfDay { hour: 7, minute: 30 };
    let cases = [
        ("before the time", datetime!(2026-03-02 07:29:59 UTC), false, "2026-03-02"),
        ("at the time", datetime!(2026-03-02 07:30 UTC), true, "2026-03-02"),
        ("later that day", datetime!(2026-03-02 23:59 UTC), true, "2026-03-02"),
        ("after midnight, before the time", datetime!(2026-03-03 00:10 UTC), false, "2026-03-03"),
        (
            "07:30 in Paris is 06:30 UTC",
            datetime!(2026-03-02 06:30 UTC).to_offset(time::macros::offset!(+1)),
            true,
            "2026-03-02",
        ),
        (
            "23:30 UTC is already tomorrow in Paris",
            datetime!(2026-03-02 23:30 UTC).to_offset(time::macros::offset!(+1)),
            false,
            "2026-03-03",
        ),
    ];
    for (name, local, due, day) in cases {
        assert_eq!((is_due(local, at), day_of(local).as_str()), (due, day), "{name}");
    }
}

fn outbox_row(n: &Notification) -> OutboxRow {
    OutboxRow {
        id: 1,
        ticket_id: n.ticket,
        event: n.event.as_str().into(),
        recipient: n.recipient.clone(),
        subject: n.subject.clone(),
        state: OutboxState::Sending,
        attempts: 1,
        last_error: None,
        created_at: "2026-03-02T07:30:00Z".into(),
        sent_at: None,
        delivered_to: None,
        body_text: n.text.clone(),
        message_id: n.message_id.clone(),
        in_reply_to: n.in_reply_to.clone(),
        references: n.references.clone(),
        released: false,
        lease_until: None,
        personal_link: false,
    }
}

#[test]
fn a_digest_lists_its_tickets_under_a_subject_and_message_id_that_name_none() {
    let notifier = Notifier::new(&config()).expect("notifier");
    let staff = notifier.staff().to_vec();
    let open = [
        ticket(12, 3, "2026-02-27T10:00:00Z", &[], &["dsi-bai"]),
        ticket(7, 4, "2026-02-20T23:30:00Z", &["alice.martin@ac-exemple.fr"], &["dsi-bai"]),
    ];
    let digests = select(&staff, &open);
    let alice = digests.iter().find(|d| d.recipient.email == "alice.martin@ac-exemple.fr").expect("alice's digest");
    let n = notifier.digest(alice, datetime!(2026-03-02 07:30 UTC).to_offset(time::macros::offset!(+1)));
    assert_eq!(n.ticket, None);
    assert_eq!(n.event, Event::DailyDigest);
    assert_eq!(n.subject, "[GLPI] Vos tickets ouverts – 2 tickets");
    let ids = crate::intake::thread::MessageIds::new("support-informatique", "ac-exemple.fr");
    assert!(ids.is_digest(&n.message_id), "{}", n.message_id);
    assert_eq!(ids.ticket_named_by(&n.message_id), None);
    assert_eq!((n.in_reply_to.as_ref(), n.references.len()), (None, 0), "a digest threads onto nothing");
    let text = &n.text;
    assert!(text.starts_with(crate::mail::reply::SEPARATOR_FR), "a reply is cut like any other: {text}");
    assert!(text.contains("Bonjour Alice Martin,") && text.contains("2 tickets ouverts vous attendent"), "{text}");
    let (seven, twelve) = (text.find("[GLPI #0000007]"), text.find("[GLPI #0000012]"));
    assert!(seven.is_some() && seven < twelve, "the higher priority first: {text}");
    assert!(text.contains("À prendre : groupe DSI – Bureau d'assistance informatique"), "{text}");
    assert!(text.contains("Ouvert le 21 février 2026"), "dates on the local calendar, in French prose: {text}");
    assert!(text.contains("https://assistance.ac-exemple.fr/front/ticket.form.php?id=12"), "{text}");
    assert!(!text.contains("\n\n\n"), "{text}");

    let html = notifier.html(&outbox_row(&n));
    assert!(html.contains("0000012") && !html.contains("<a href"), "no ticket button: {html}");
    assert!(!html.contains("template"), "the shipped layout renders a digest: {html}");

    let one = Digest { recipient: alice.recipient, lines: alice.lines[..1].to_vec() };
    let n = notifier.digest(&one, datetime!(2026-03-02 07:30 UTC));
    assert_eq!(n.subject, "[GLPI] Vos tickets ouverts – 1 ticket");
    assert!(n.text.contains("Un ticket ouvert vous attend :"), "{}", n.text);
}
