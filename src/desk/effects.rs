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
