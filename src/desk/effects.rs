//! The rules of what a decision does, pure: the rows a new ticket is made
//! of, which event each [`Notice`] becomes and what its [`Trigger`]
//! carries, who gets which notification (one mail per person per change,
//! plain addresses only), what an auto-close changes, when a declined sender
//! is answered again. Inputs and outputs are plain data; [`super`] reads
//! them from and writes them to the store. Tested as tables, without a
//! database.

use crate::intake::Decision;
use crate::lifecycle::{AutoReply, Change, Notice, Plan};
use crate::mail::{InboundMail, Mailbox, reply};
use crate::news::Notification;
use crate::notify::Trigger;
use crate::routing::{ObserverTarget, Routing};
use crate::ticket::{Event, Role, Status};

/// Why a decision was recorded as it was, for the message's record.
pub fn reason(decision: &Decision) -> Option<String> {
    match decision {
        Decision::NewTicket { note, .. } => note.clone(),
        Decision::Followup { .. } => None,
        Decision::AutoReply { reply: AutoReply::CommandErrors(errors), .. } => {
            Some(format!("commands not applied, the technician was told why: {}", errors.join("; ")))
        }
        Decision::AutoReply { reply: AutoReply::Help, .. } => Some("#help: the commands were sent back".into()),
        Decision::Refuse { reason }
        | Decision::Ignore { reason }
        | Decision::Quarantine { reason }
        | Decision::Decline { reason, .. } => Some(reason.clone()),
        Decision::Duplicate { of } => Some(format!("same Message-ID and content as message {of}")),
    }
}

/// A ticket filed to someone is in progress from the start, as in GLPI.
pub fn initial_status(routing: &Routing) -> Status {
    if routing.group.is_some() || routing.technician.is_some() { Status::Assigned } else { Status::New }
}

/// A new ticket's description: the mail's text above a reply separator.
pub fn description(mail_text: &str) -> String {
    reply::before_separator(mail_text).to_string()
}

/// One line of a ticket's audit log: who, what, the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub actor: String,
    pub action: &'static str,
    pub detail: String,
}

/// The history of a ticket's creation, before its routing's changes: who
/// opened it (the requester, or the technician acting for them), the number
/// it had in the replaced system, the observers added.
pub fn creation_history(
    title: &str,
    routing: &Routing,
    requester: &Mailbox,
    opened_by: Option<&Mailbox>,
    previous_number: Option<u64>,
    observers: &[Mailbox],
) -> Vec<HistoryLine> {
    let mut detail = match &routing.rule {
        Some(rule) => format!("{title} (rule {rule})"),
        None => title.to_string(),
    };
    let actor = match opened_by {
        Some(technician) => {
            detail.push_str(&format!(" (for {})", requester.address));
            technician.address.clone()
        }
        None => requester.address.clone(),
    };
    let line = |action, detail: String| HistoryLine { actor: actor.clone(), action, detail };
    let mut lines = vec![line("created", detail)];
    if let Some(n) = previous_number {
        lines.push(line("previous_ticket", format!("suite de GLPI #{n}")));
    }
    lines.extend(observers.iter().map(|o| line("observer_added", o.address.clone())));
    lines
}

/// The changes the routing makes to a new ticket, and their author in the
/// history: the rule that filed it. Cc'd persons are added with the
/// ticket's observers, not here.
pub fn routing_changes(routing: &Routing) -> (Mailbox, Vec<Change>) {
    let mut changes = Vec::new();
    if let Some(group) = &routing.group {
        changes.push(Change::AssignGroup(group.clone()));
    }
    if let Some(technician) = &routing.technician {
        changes.push(Change::AssignTechnician(Mailbox::new(technician, None)));
    }
    for target in &routing.observers {
        if let ObserverTarget::Group(group) = target {
            changes.push(Change::ObserveGroup(group.clone()));
        }
    }
    let rule = Mailbox { address: format!("rule:{}", routing.rule.as_deref().unwrap_or("-")), name: None };
    (rule, changes)
}

/// The Message-ID a notification of this mail answers: none for a derived
/// id (the mail had none, or an unusable one), which names no message a mail
/// client knows.
pub fn answered(mail: &InboundMail) -> String {
    if mail.message_id_derived { String::new() } else { mail.message_id.clone() }
}

/// The events of a new ticket: the acknowledgment to the requester side,
/// and the news to the staff (from the technician who opened it for someone,
/// who knows already, when there is one).
pub fn new_ticket_events(answered: &str, requester: &Mailbox, opened_by: Option<&Mailbox>) -> Vec<(Event, Trigger)> {
    let staff = match opened_by {
        Some(technician) => Trigger::new(technician.clone(), Role::Technician, answered.to_string()),
        None => Trigger::new(requester.clone(), Role::Requester, answered.to_string()),
    };
    vec![
        (Event::TicketNew, Trigger::new(requester.clone(), Role::Requester, answered.to_string())),
        (Event::TicketNewStaff, staff),
    ]
}

/// The answer to a technician whose commands were not obeyed, or who asked for help.
pub fn auto_reply_event(answered: &str, author: &Mailbox, reply: &AutoReply) -> (Event, Trigger) {
    let mut t = Trigger::new(author.clone(), Role::Technician, answered.to_string());
    let event = match reply {
        AutoReply::CommandErrors(errors) => {
            t.errors = errors.clone();
            Event::CommandError
        }
        AutoReply::Help => Event::Help,
    };
    (event, t)
}

/// The event and what its template shows, for each notice of a plan, in
/// the plan's order (most specific first: see [`deliverable`]).
pub fn plan_events(plan: &Plan, author: &Mailbox, role: Role, answered: &str) -> Vec<(Event, Trigger)> {
    plan.notices.iter().map(|notice| notification_for(notice, plan, author, role, answered)).collect()
}

fn notification_for(notice: &Notice, plan: &Plan, author: &Mailbox, role: Role, answered: &str) -> (Event, Trigger) {
    let mut t = Trigger::new(author.clone(), role, answered.to_string());
    t.followup = Some(plan.text.clone());
    t.private = plan.private;
    let event = match notice {
        Notice::Followup => Event::Followup,
        Notice::Assigned(assignee) => {
            t.assignee = Some(assignee.clone());
            // An assignment is for the staff: private or not, the note goes along.
            t.private = false;
            Event::Assigned
        }
        // A status change or a close carries the reply's text to everyone
        // (a cancellation's reason, a closing word), unless it was private:
        // then the staff read it in the private followup instead.
        Notice::StatusChanged { previous } => {
            t.previous_status = Some(*previous);
            public_only(&mut t);
            Event::StatusChanged
        }
        Notice::SolutionProposed => Event::SolutionProposed,
        Notice::SolutionAccepted => Event::SolutionAccepted,
        Notice::SolutionRejected => Event::SolutionRejected,
        Notice::Closed => {
            public_only(&mut t);
            Event::Closed
        }
    };
    (event, t)
}

/// A notification for everyone: a private text stays out of it.
fn public_only(t: &mut Trigger) {
    if t.private {
        t.followup = None;
    }
    t.private = false;
}

/// The history line of a followup: the author's role, and whether it is private.
pub fn followup_detail(role: Role, private: bool) -> String {
    if private { format!("{} (private)", role.as_str()) } else { role.as_str().to_string() }
}

/// Which of a change's notifications (in the order of its events) go out:
/// one mail per person per change, the first event that reaches someone
/// being the one they get; and, the last guard whatever let an address this
/// far, only to a plain address. The second list is what was held back.
pub fn deliverable(notifications: Vec<Notification>) -> (Vec<Notification>, Vec<Notification>) {
    let mut reached: Vec<String> = Vec::new();
    let (mut kept, mut held) = (Vec::new(), Vec::new());
    for n in notifications {
        if reached.contains(&n.recipient) {
            continue;
        }
        if crate::mail::address::plain(&n.recipient).is_err() {
            held.push(n);
            continue;
        }
        reached.push(n.recipient.clone());
        kept.push(n);
    }
    (kept, held)
}

/// A declined sender is answered at most once a day: a stranger writing ten
/// times, or a responder answering the answer, is told once. The start of
/// the day before `at` (RFC 3339); an unreadable `at` counts from the start.
pub fn decline_window_start(at: &str) -> String {
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map(|t| crate::clock::rfc3339(t - std::time::Duration::from_secs(86_400)))
        .unwrap_or_default()
}

/// What closing an unanswered solution does: the solution counts as
/// accepted and the ticket is closed, by mailgate itself, with its reason
/// in the history and the closing news to the people concerned.
pub fn auto_close(own: &Mailbox, reason: &str, thread_root: String) -> AutoClose {
    AutoClose {
        changes: vec![Change::AcceptSolution, Change::Status(Status::Closed)],
        history: HistoryLine { actor: own.address.clone(), action: "closed_automatically", detail: reason.to_string() },
        event: (Event::Closed, Trigger::new(own.clone(), Role::Technician, thread_root)),
    }
}

/// See [`auto_close`].
pub struct AutoClose {
    pub changes: Vec<Change>,
    pub history: HistoryLine,
    pub event: (Event, Trigger),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Assignee;

    fn routing(group: Option<&str>, technician: Option<&str>) -> Routing {
        Routing {
            rule: Some("lsu".into()),
            refuse: None,
            ticket_type: crate::ticket::TicketType::Incident,
            category: None,
            urgency: 3,
            impact: 3,
            priority: 3,
            entity: "Académie".into(),
            location: None,
            group: group.map(str::to_string),
            technician: technician.map(str::to_string),
            observers: vec![ObserverTarget::Group("dsi".into())],
        }
    }

    fn notification(recipient: &str, event: Event) -> Notification {
        Notification {
            ticket: Some(1),
            event,
            recipient: recipient.into(),
            subject: String::new(),
            text: String::new(),
            message_id: String::new(),
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
            link: None,
        }
    }

    #[test]
    fn a_ticket_filed_to_a_group_or_a_technician_starts_assigned_otherwise_new() {
        for (group, technician, status) in [
            (None, None, Status::New),
            (Some("referents-lsu"), None, Status::Assigned),
            (None, Some("alice@ac-exemple.fr"), Status::Assigned),
        ] {
            assert_eq!(initial_status(&routing(group, technician)), status, "{group:?} {technician:?}");
        }
    }

    #[test]
    fn the_routing_assigns_then_adds_observer_groups_in_the_rules_name() {
        let (author, changes) = routing_changes(&routing(Some("referents-lsu"), Some("alice@ac-exemple.fr")));
        assert_eq!(author.address, "rule:lsu");
        assert_eq!(
            changes,
            [
                Change::AssignGroup("referents-lsu".into()),
                Change::AssignTechnician(Mailbox::new("alice@ac-exemple.fr", None)),
                Change::ObserveGroup("dsi".into())
            ]
        );
    }

    #[test]
    fn a_ticket_opened_for_someone_names_the_technician_and_the_requester() {
        let requester = Mailbox::new("marie@clg.ac-exemple.fr", None);
        let technician = Mailbox::new("alice@ac-exemple.fr", None);
        let observer = Mailbox::new("paul@clg.ac-exemple.fr", None);
        let lines =
            creation_history("Imprimante", &routing(None, None), &requester, Some(&technician), Some(3), &[observer]);
        let shown: Vec<_> = lines.iter().map(|l| format!("{} {} {}", l.actor, l.action, l.detail)).collect();
        assert_eq!(
            shown,
            [
                "alice@ac-exemple.fr created Imprimante (rule lsu) (for marie@clg.ac-exemple.fr)",
                "alice@ac-exemple.fr previous_ticket suite de GLPI #3",
                "alice@ac-exemple.fr observer_added paul@clg.ac-exemple.fr",
            ]
        );
    }

    #[test]
    fn each_notice_becomes_its_event_and_a_private_text_reaches_only_the_staff() {
        let author = Mailbox::new("alice@ac-exemple.fr", None);
        let assignee = Assignee::Group("dsi".into());
        // (notice, private plan, event, text carried, private kept)
        let table = [
            (Notice::Followup, true, Event::Followup, true, true),
            (Notice::Assigned(assignee), true, Event::Assigned, true, false),
            (Notice::StatusChanged { previous: Status::New }, true, Event::StatusChanged, false, false),
            (Notice::StatusChanged { previous: Status::New }, false, Event::StatusChanged, true, false),
            (Notice::Closed, true, Event::Closed, false, false),
            (Notice::SolutionProposed, false, Event::SolutionProposed, true, false),
            (Notice::SolutionAccepted, false, Event::SolutionAccepted, true, false),
            (Notice::SolutionRejected, false, Event::SolutionRejected, true, false),
        ];
        for (notice, private, event, carried, kept) in table {
            let plan = Plan { changes: Vec::new(), text: "note".into(), private, notices: vec![notice.clone()] };
            let events = plan_events(&plan, &author, Role::Technician, "m@x");
            let (got, trigger) = &events[0];
            assert_eq!(*got, event, "{notice:?}");
            assert_eq!(trigger.followup.is_some(), carried, "{notice:?} private={private}");
            assert_eq!(trigger.private, kept, "{notice:?} private={private}");
            assert_eq!(trigger.message_id, "m@x");
        }
    }

    #[test]
    fn one_mail_per_person_per_change_and_only_to_plain_addresses() {
        let all = vec![
            notification("alice@ac-exemple.fr", Event::Assigned),
            notification("marie@clg.ac-exemple.fr", Event::Followup),
            notification("alice@ac-exemple.fr", Event::Followup),
            notification("\"a b\"@ac-exemple.fr", Event::Followup),
        ];
        let (kept, held) = deliverable(all);
        let kept: Vec<_> = kept.iter().map(|n| (n.recipient.as_str(), n.event)).collect();
        assert_eq!(kept, [("alice@ac-exemple.fr", Event::Assigned), ("marie@clg.ac-exemple.fr", Event::Followup)]);
        assert_eq!(held.len(), 1, "the quoted local part is not plain");
    }

    #[test]
    fn a_declined_sender_is_answered_again_after_a_day() {
        assert_eq!(decline_window_start("2026-03-02T09:00:00Z"), "2026-03-01T09:00:00Z");
        assert_eq!(decline_window_start("not a date"), "");
    }

    #[test]
    fn an_auto_close_accepts_the_solution_closes_and_tells_on_the_thread() {
        let own = Mailbox::new("support@ac-exemple.fr", None);
        let close = auto_close(&own, "no answer", "root@x".into());
        assert_eq!(close.changes, [Change::AcceptSolution, Change::Status(Status::Closed)]);
        assert_eq!((close.history.action, close.history.detail.as_str()), ("closed_automatically", "no answer"));
        assert_eq!((close.event.0, close.event.1.message_id.as_str()), (Event::Closed, "root@x"));
    }

    #[test]
    fn a_mail_without_a_usable_id_is_answered_as_nothing() {
        let mut mail = crate::mail::parse::parse(b"From: a@b.fr\r\nSubject: x\r\n\r\nbody\r\n").expect("parsed");
        mail.message_id_derived = true;
        assert_eq!(answered(&mail), "");
        mail.message_id_derived = false;
        assert_eq!(answered(&mail), mail.message_id);
    }
}
