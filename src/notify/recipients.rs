//! Who hears about an event. Requester-side events (the acknowledgment, a
//! technician's answer) go to the requester and observers; technician-side
//! events go to the ticket's technicians, or to every configured technician
//! while nobody has taken the ticket. The author of a followup does not get
//! their own words back, and mailgate never writes to itself.

use super::{Person, TicketContext, Trigger};
use crate::ticket::{Event, Role};

/// Who a notifier sends to, and what the configuration says about staff.
pub struct Audience<'a> {
    pub technicians: &'a [Person],
    pub notify_technicians_on_new: bool,
    pub own_address: &'a str,
}

/// The recipients of `event` on `ticket`, each once, with the role they read it in.
pub fn recipients(
    event: Event,
    ticket: &TicketContext,
    trigger: &Trigger,
    audience: &Audience<'_>,
) -> Vec<(Person, Role)> {
    let requester_side = || {
        std::iter::once((ticket.requester.clone(), Role::Requester))
            .chain(ticket.observers.iter().cloned().map(|p| (p, Role::Observer)))
    };
    let staff = || {
        let people = if ticket.technicians.is_empty() { audience.technicians } else { &ticket.technicians[..] };
        people.iter().cloned().map(|p| (p, Role::Technician))
    };
    let candidates: Vec<(Person, Role)> = match event {
        Event::TicketNew => requester_side().collect(),
        Event::TicketNewStaff if audience.notify_technicians_on_new => {
            audience.technicians.iter().cloned().map(|p| (p, Role::Technician)).collect()
        }
        Event::TicketNewStaff => Vec::new(),
        Event::Followup if trigger.author_role.is_requester_side() => staff().chain(requester_side()).collect(),
        Event::Followup => {
            requester_side().chain(ticket.technicians.iter().cloned().map(|p| (p, Role::Technician))).collect()
        }
    };
    let mut out: Vec<(Person, Role)> = Vec::new();
    for (person, role) in candidates {
        // The acknowledgment is the one mail the author must receive: it is
        // how they learn their ticket number.
        let is_author = person.email == trigger.author.address && event != Event::TicketNew;
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
    use crate::ticket::Status;

    fn person(email: &str) -> Person {
        Person { email: email.into(), name: None }
    }

    fn ticket(technicians: &[&str]) -> TicketContext {
        TicketContext {
            id: 1,
            title: "Imprimante".into(),
            description: String::new(),
            status: Status::New,
            entity: "Académie".into(),
            requester: person("marie@ac.fr"),
            observers: vec![person("paul@ac.fr")],
            technicians: technicians.iter().map(|t| person(t)).collect(),
            created_at: String::new(),
            origin_message_id: None,
        }
    }

    fn by(author: &str, role: Role) -> Trigger {
        Trigger { author: Mailbox::new(author, None), author_role: role, message_id: "m@x".into(), followup: None }
    }

    #[test]
    fn who_hears_about_what() {
        let staff = [person("alice@ac.fr"), person("bruno@ac.fr")];
        let audience = Audience { technicians: &staff, notify_technicians_on_new: true, own_address: "support@ac.fr" };
        let cases: [(&str, Event, TicketContext, Trigger, &[&str]); 6] = [
            (
                "acknowledgment goes to requester and observers",
                Event::TicketNew,
                ticket(&[]),
                by("marie@ac.fr", Role::Requester),
                &["marie@ac.fr", "paul@ac.fr"],
            ),
            (
                "new ticket alerts every technician",
                Event::TicketNewStaff,
                ticket(&[]),
                by("marie@ac.fr", Role::Requester),
                &["alice@ac.fr", "bruno@ac.fr"],
            ),
            (
                "requester followup on an untaken ticket reaches all technicians and the observer",
                Event::Followup,
                ticket(&[]),
                by("marie@ac.fr", Role::Requester),
                &["alice@ac.fr", "bruno@ac.fr", "paul@ac.fr"],
            ),
            (
                "requester followup reaches only the assigned technician",
                Event::Followup,
                ticket(&["alice@ac.fr"]),
                by("marie@ac.fr", Role::Requester),
                &["alice@ac.fr", "paul@ac.fr"],
            ),
            (
                "technician answer reaches requester side, not its author",
                Event::Followup,
                ticket(&["alice@ac.fr"]),
                by("alice@ac.fr", Role::Technician),
                &["marie@ac.fr", "paul@ac.fr"],
            ),
            (
                "mailgate never writes to itself",
                Event::TicketNew,
                {
                    let mut t = ticket(&[]);
                    t.observers.push(person("support@ac.fr"));
                    t
                },
                by("marie@ac.fr", Role::Requester),
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
