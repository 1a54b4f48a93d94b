//! Who hears about an event. The requester side (the requester and the
//! observers) hears of everything but private followups; the staff in charge
//! (the ticket's technicians, else the members of its group, else every
//! configured technician while nobody has it) and the groups kept informed
//! hear of everything. The author of a change does not get it back, except
//! the requester for the acknowledgment and for the end of their request;
//! an assignment goes to the assignee alone; a command error or `#help`
//! answer to its author alone. mailgate never writes to itself.

use super::{Person, TicketContext, Trigger};
use crate::lifecycle::Assignee;
use crate::ticket::{Event, Role, Status};

/// A configured group as notifications reach it: its list address, or each
/// of its members.
#[derive(Debug, Clone)]
pub struct GroupAudience {
    pub name: String,
    pub people: Vec<Person>,
}

/// Who a notifier sends to, and what the configuration says about staff.
pub struct Audience<'a> {
    pub technicians: &'a [Person],
    pub groups: &'a [GroupAudience],
    pub notify_technicians_on_new: bool,
    pub own_address: &'a str,
}

impl Audience<'_> {
    fn group(&self, name: &str) -> Vec<(Person, Role)> {
        self.groups
            .iter()
            .filter(|g| g.name.eq_ignore_ascii_case(name))
            .flat_map(|g| g.people.iter().cloned().map(|p| (p, Role::Technician)))
            .collect()
    }

    fn groups(&self, names: &[String]) -> Vec<(Person, Role)> {
        names.iter().flat_map(|n| self.group(n)).collect()
    }
}

/// The recipients of `event` on `ticket`, each once, with the role they read it in.
pub fn recipients(
    event: Event,
    ticket: &TicketContext,
    trigger: &Trigger,
    audience: &Audience<'_>,
) -> Vec<(Person, Role)> {
    let requester_side: Vec<(Person, Role)> = std::iter::once((ticket.requester.clone(), Role::Requester))
        .chain(ticket.observers.iter().cloned().map(|p| (p, Role::Observer)))
        .collect();
    let assigned = !ticket.technicians.is_empty() || !ticket.assigned_groups.is_empty();
    let staff: Vec<(Person, Role)> = if !ticket.technicians.is_empty() {
        ticket.technicians.iter().cloned().map(|p| (p, Role::Technician)).collect()
    } else if assigned {
        audience.groups(&ticket.assigned_groups)
    } else {
        audience.technicians.iter().cloned().map(|p| (p, Role::Technician)).collect()
    };
    let watchers = audience.groups(&ticket.observer_groups);
    let everyone = || {
        let requester_side = if trigger.private { &[][..] } else { &requester_side[..] };
        requester_side.iter().chain(&staff).chain(&watchers).cloned().collect::<Vec<_>>()
    };
    let author = || vec![(Person::from(&trigger.author), trigger.author_role)];
    let candidates: Vec<(Person, Role)> = match event {
        Event::TicketNew => requester_side.clone(),
        Event::TicketNewStaff if assigned || audience.notify_technicians_on_new => {
            staff.iter().chain(&watchers).cloned().collect()
        }
        Event::TicketNewStaff => watchers.clone(),
        Event::Assigned => match &trigger.assignee {
            Some(Assignee::Technician(m)) => vec![(Person::from(m), Role::Technician)],
            Some(Assignee::Group(name)) => audience.group(name),
            None => Vec::new(),
        },
        Event::CommandError | Event::Help => author(),
        // About many tickets, and composed by `digest`, not per ticket.
        Event::DailyDigest | Event::RefusalReply | Event::PersonalLink => Vec::new(),
        Event::Followup
        | Event::StatusChanged
        | Event::SolutionProposed
        | Event::SolutionAccepted
        | Event::SolutionRejected
        | Event::Closed => everyone(),
    };
    let author_hears = match event {
        Event::TicketNew | Event::CommandError | Event::Help => true,
        // The requester who ends their own request gets the confirmation,
        // and one whose answer re-opened it is told so.
        Event::SolutionAccepted | Event::SolutionRejected => true,
        Event::StatusChanged => ticket.status == Status::Cancelled,
        _ => false,
    };
    let mut out: Vec<(Person, Role)> = Vec::new();
    for (person, role) in candidates {
        let is_author = person.email == trigger.author.address && !author_hears;
        let skip =
            is_author || person.email == audience.own_address || out.iter().any(|(p, _)| p.email == person.email);
        if !skip {
            out.push((person, role));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Mailbox;
    use crate::ticket::TicketType;

    fn person(email: &str) -> Person {
        Person { email: email.into(), name: None }
    }

    fn ticket(technicians: &[&str], assigned: &[&str], observing: &[&str]) -> TicketContext {
        TicketContext {
            id: 1,
            title: "Imprimante".into(),
            description: String::new(),
            status: Status::Assigned,
            entity: "Académie".into(),
            requester: person("marie@ac.fr"),
            observers: vec![person("paul@ac.fr")],
            technicians: technicians.iter().map(|t| person(t)).collect(),
            assigned_groups: assigned.iter().map(|g| g.to_string()).collect(),
            observer_groups: observing.iter().map(|g| g.to_string()).collect(),
            ticket_type: TicketType::Incident,
            category: None,
            urgency: 3,
            impact: 3,
            priority: 3,
            location: None,
            created_at: String::new(),
            origin_message_id: None,
        }
    }

    fn by(author: &str, role: Role) -> Trigger {
        Trigger::new(Mailbox::new(author, None), role, "m@x".into())
    }

    fn private(mut t: Trigger) -> Trigger {
        t.private = true;
        t
    }

    fn assigning(mut t: Trigger, assignee: Assignee) -> Trigger {
        t.assignee = Some(assignee);
        t
    }

    #[test]
    fn who_hears_about_what() {
        use Role::{Requester, Technician};
        let staff = [person("alice@ac.fr"), person("bruno@ac.fr")];
        let groups = [
            GroupAudience { name: "referents-lsu".into(), people: vec![person("rene@ac.fr"), person("rita@ac.fr")] },
            GroupAudience { name: "dsi-bai".into(), people: vec![person("bai@ac.fr")] },
        ];
        let audience = Audience {
            technicians: &staff,
            groups: &groups,
            notify_technicians_on_new: true,
            own_address: "support@ac.fr",
        };
        let cases: Vec<(&str, Event, TicketContext, Trigger, &[&str])> = vec![
            (
                "acknowledgment goes to requester and observers",
                Event::TicketNew,
                ticket(&[], &[], &[]),
                by("marie@ac.fr", Requester),
                &["marie@ac.fr", "paul@ac.fr"],
            ),
            (
                "an unrouted ticket alerts every technician",
                Event::TicketNewStaff,
                ticket(&[], &[], &[]),
                by("marie@ac.fr", Requester),
                &["alice@ac.fr", "bruno@ac.fr"],
            ),
            (
                "a routed ticket alerts its group's members only",
                Event::TicketNewStaff,
                ticket(&[], &["referents-lsu"], &[]),
                by("marie@ac.fr", Requester),
                &["rene@ac.fr", "rita@ac.fr"],
            ),
            (
                "requester followup on an untaken ticket reaches the observer and all technicians",
                Event::Followup,
                ticket(&[], &[], &[]),
                by("marie@ac.fr", Requester),
                &["paul@ac.fr", "alice@ac.fr", "bruno@ac.fr"],
            ),
            (
                "requester followup reaches the technician in charge, not the whole group",
                Event::Followup,
                ticket(&["rene@ac.fr"], &["referents-lsu"], &[]),
                by("marie@ac.fr", Requester),
                &["paul@ac.fr", "rene@ac.fr"],
            ),
            (
                "technician answer reaches requester side, not its author",
                Event::Followup,
                ticket(&["alice@ac.fr"], &[], &[]),
                by("alice@ac.fr", Technician),
                &["marie@ac.fr", "paul@ac.fr"],
            ),
            (
                "after an escalation the first group keeps hearing",
                Event::Followup,
                ticket(&[], &["dsi-bai"], &["referents-lsu"]),
                by("bai@ac.fr", Technician),
                &["marie@ac.fr", "paul@ac.fr", "rene@ac.fr", "rita@ac.fr"],
            ),
            (
                "a private followup never reaches the requester side",
                Event::Followup,
                ticket(&["alice@ac.fr", "bruno@ac.fr"], &[], &[]),
                private(by("alice@ac.fr", Technician)),
                &["bruno@ac.fr"],
            ),
            (
                "an assignment goes to the group assigned alone",
                Event::Assigned,
                ticket(&[], &["dsi-bai"], &["referents-lsu"]),
                assigning(by("rene@ac.fr", Technician), Assignee::Group("dsi-bai".into())),
                &["bai@ac.fr"],
            ),
            (
                "the requester who accepts gets the confirmation",
                Event::SolutionAccepted,
                ticket(&["bai@ac.fr"], &["dsi-bai"], &[]),
                by("marie@ac.fr", Requester),
                &["marie@ac.fr", "paul@ac.fr", "bai@ac.fr"],
            ),
            (
                "a command error goes to its author alone",
                Event::CommandError,
                ticket(&["alice@ac.fr"], &[], &[]),
                by("alice@ac.fr", Technician),
                &["alice@ac.fr"],
            ),
            (
                "mailgate never writes to itself",
                Event::TicketNew,
                {
                    let mut t = ticket(&[], &[], &[]);
                    t.observers.push(person("support@ac.fr"));
                    t
                },
                by("marie@ac.fr", Requester),
                &["marie@ac.fr", "paul@ac.fr"],
            ),
        ];
        for (name, event, ticket, trigger, expected) in cases {
            let got: Vec<String> =
                recipients(event, &ticket, &trigger, &audience).into_iter().map(|(p, _)| p.email).collect();
            assert_eq!(got, expected, "{name}");
        }
    }
}
