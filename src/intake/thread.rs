//! Which ticket a mail belongs to. A mail answers ticket N when, in this
//! order: its In-Reply-To or References name a Message-ID that mailgate
//! generated for N (or that GLPI generated, so that threads begun before the
//! switch keep working), or the Message-ID of a mail already recorded on N;
//! or its subject carries the token `[TAG #N]`. Headers come first because
//! users edit subjects and clients keep headers. The daily digest's
//! Message-ID names no ticket: a reply to it belongs to none.
//!
//! A site that replaced GLPI numbers its tickets from `tickets.first_number`
//! on: a GLPI Message-ID or a subject token naming a number below it is a
//! thread of the old system ([`ThreadMatch::OldSystem`]), never mailgate's
//! ticket of the same number.

use std::sync::LazyLock;

use regex::Regex;

use super::View;
use crate::mail::InboundMail;
use crate::mail::subject::SubjectToken;
use crate::ticket::{Event, TicketId};

/// How this mailgate names the messages it writes, and recognises them:
/// `mailgate-<instance>.<ticket>.<event>.<nonce>@<domain>` for a
/// notification, `mailgate-<instance>.<ticket>@<domain>` for the thread's
/// root, `mailgate-<instance>.digest.<nonce>@<domain>` for a digest. The
/// instance (`notifications.instance`, by default the support mailbox's
/// local part) keeps two mailgates of one domain from taking each other's
/// notifications for their own. Ids of the form mailgate wrote before it
/// had instances (`mailgate.<ticket>…@<domain>`) are believed only when
/// this mailgate's outbox holds them (see [`find_ticket`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageIds {
    instance: String,
    domain: String,
}

impl MessageIds {
    pub fn new(instance: &str, domain: &str) -> MessageIds {
        MessageIds { instance: instance.to_lowercase(), domain: domain.to_lowercase() }
    }

    /// A notification's id: it names the ticket, so that a reply threads
    /// even when the user rewrote the subject.
    pub fn notification(&self, ticket: TicketId, event: Event, nonce: &str) -> String {
        format!("mailgate-{}.{ticket}.{}.{nonce}@{}", self.instance, event.as_str(), self.domain)
    }

    /// The id every notification of a ticket refers to, so that mail
    /// clients group the conversation even when messages are missing.
    pub fn thread_root(&self, ticket: TicketId) -> String {
        format!("mailgate-{}.{ticket}@{}", self.instance, self.domain)
    }

    /// A daily digest's id. It names no ticket, so that a reply to it
    /// cannot land on any one of the tickets it lists.
    pub fn digest(&self, nonce: &str) -> String {
        format!("mailgate-{}.digest.{nonce}@{}", self.instance, self.domain)
    }

    /// A personal link's id: it names no ticket, like a refusal's.
    pub fn link(&self, nonce: &str) -> String {
        format!("mailgate-{}.link.{nonce}@{}", self.instance, self.domain)
    }

    /// A refusal answer's id: it names no ticket, like a digest's.
    pub fn refusal(&self, nonce: &str) -> String {
        format!("mailgate-{}.refusal.{nonce}@{}", self.instance, self.domain)
    }

    /// What `message_id` is, as far as its form tells.
    pub fn classify(&self, message_id: &str) -> IdKind {
        static MAILGATE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^mailgate(?:-([a-z0-9-]{1,32}))?\.(\d{1,18}|digest)(?:\.[a-z_]+)?(?:\.[0-9a-f]+)?@(.+)$")
                .expect("static regex")
        });
        static GLPI: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^GLPI(?:_[0-9a-fA-F]+)?-Ticket-(\d{1,18})(?:[/.@]|$)").expect("static regex")
        });
        if let Some(c) = MAILGATE.captures(message_id) {
            let domain = c.get(3).map_or("", |m| m.as_str());
            if !domain.eq_ignore_ascii_case(&self.domain) {
                return IdKind::Foreign;
            }
            let what = c.get(2).map_or("", |m| m.as_str());
            let ticket = what.parse::<TicketId>().ok().filter(|n| *n > 0);
            return match c.get(1).map(|m| m.as_str()) {
                Some(instance) if instance == self.instance => match ticket {
                    Some(t) => IdKind::Ours(t),
                    None if what == "digest" => IdKind::OurDigest,
                    None => IdKind::Foreign,
                },
                Some(_) => IdKind::OtherInstance,
                None if what == "digest" => IdKind::LegacyDigest,
                None => ticket.map_or(IdKind::Foreign, IdKind::Legacy),
            };
        }
        match GLPI.captures(message_id).and_then(|c| c.get(1)?.as_str().parse::<TicketId>().ok()) {
            Some(n) if n > 0 => IdKind::Glpi(n),
            _ => IdKind::Foreign,
        }
    }

    /// The ticket an id names, when it is this mailgate's or GLPI's.
    pub fn ticket_named_by(&self, message_id: &str) -> Option<TicketId> {
        match self.classify(message_id) {
            IdKind::Ours(t) | IdKind::Glpi(t) => Some(t),
            _ => None,
        }
    }

    /// Whether `message_id` is a digest this mailgate (or, before instances,
    /// a mailgate of its domain) wrote.
    pub fn is_digest(&self, message_id: &str) -> bool {
        matches!(self.classify(message_id), IdKind::OurDigest | IdKind::LegacyDigest)
    }

    /// Whether `message_id` is one this mailgate wrote, by its form.
    pub fn is_ours(&self, message_id: &str) -> bool {
        matches!(self.classify(message_id), IdKind::Ours(_) | IdKind::OurDigest)
    }
}

/// What a Message-ID is, by its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// This mailgate's, naming a ticket.
    Ours(TicketId),
    /// This mailgate's daily digest.
    OurDigest,
    /// Another mailgate's of this domain (another instance).
    OtherInstance,
    /// The form mailgate wrote before instances: ours only if our outbox
    /// holds it.
    Legacy(TicketId),
    LegacyDigest,
    /// GLPI's, naming a ticket (threads begun before the switch to mailgate).
    Glpi(TicketId),
    /// Anybody else's.
    Foreign,
}

/// How a mail was found to belong to a ticket; recorded for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadMatch {
    /// Headers name a notification or a recorded mail of the ticket.
    Header(TicketId),
    /// The subject token names a ticket that exists.
    Subject(TicketId),
    /// The subject token names a ticket that does not exist.
    UnknownTicket(u64),
    /// A GLPI Message-ID or the subject token names a number below
    /// `tickets.first_number`: a ticket of the system mailgate replaced.
    OldSystem(u64),
    /// The mail answers another mailgate's notification (one of this
    /// domain that is not this instance).
    OtherMailgate,
    None,
}

/// The ticket `mail` answers. `first` is the first number mailgate issued
/// (`tickets.first_number`, 1 when not set): GLPI's ids are believed only
/// for numbers from it on.
pub fn find_ticket(
    mail: &InboundMail,
    view: &dyn View,
    token: &SubjectToken,
    ids: &MessageIds,
    first: TicketId,
) -> ThreadMatch {
    let mut other_mailgate = false;
    let mut old_system = None;
    for id in mail.thread_ids() {
        // A notification this mailgate sent, whatever its form, is in its
        // outbox; a mail recorded on a ticket is in its intake record.
        let ticket = match ids.classify(id) {
            IdKind::Ours(t) => Some(t),
            IdKind::Glpi(t) if t < first => {
                old_system = old_system.or(u64::try_from(t).ok());
                None
            }
            IdKind::Glpi(t) => Some(t),
            IdKind::OtherInstance => {
                other_mailgate = true;
                None
            }
            IdKind::Legacy(_) | IdKind::LegacyDigest => {
                let known = view.ticket_of_message(id);
                other_mailgate |= known.is_none();
                known
            }
            IdKind::OurDigest | IdKind::Foreign => view.ticket_of_message(id),
        };
        if let Some(ticket) = ticket.filter(|t| view.ticket(*t).is_some()) {
            return ThreadMatch::Header(ticket);
        }
    }
    // Answering another mailgate's notification: its subject token names
    // that mailgate's ticket, never one of ours.
    if other_mailgate {
        return ThreadMatch::OtherMailgate;
    }
    if let Some(n) = old_system {
        return ThreadMatch::OldSystem(n);
    }
    match token.find(&mail.subject) {
        Some(n) if i64::try_from(n).is_ok_and(|n| n < first) => ThreadMatch::OldSystem(n),
        Some(n) => match TicketId::try_from(n).ok().filter(|t| view.ticket(*t).is_some()) {
            Some(ticket) => ThreadMatch::Subject(ticket),
            None => ThreadMatch::UnknownTicket(n),
        },
        None => ThreadMatch::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> MessageIds {
        MessageIds::new("support-informatique", "ac-exemple.fr")
    }

    #[test]
    fn message_ids_classified_by_form() {
        let cases = [
            (
                "our notification",
                "mailgate-support-informatique.123.followup.3f2a9c0d1e4b5a69@ac-exemple.fr",
                IdKind::Ours(123),
            ),
            ("our thread root", "mailgate-support-informatique.7@ac-exemple.fr", IdKind::Ours(7)),
            (
                "domain compared case-insensitively",
                "mailgate-support-informatique.5.ticket_new.ab@AC-EXEMPLE.FR",
                IdKind::Ours(5),
            ),
            ("our digest", "mailgate-support-informatique.digest.3f2a@ac-exemple.fr", IdKind::OurDigest),
            (
                "another instance of the domain",
                "mailgate-support-lycee.123.followup.3f2a@ac-exemple.fr",
                IdKind::OtherInstance,
            ),
            (
                "our scheme on another domain is not ours",
                "mailgate-support-informatique.123.followup.3f2a@evil.com",
                IdKind::Foreign,
            ),
            ("the form before instances", "mailgate.123.followup.3f2a9c0d1e4b5a69@ac-exemple.fr", IdKind::Legacy(123)),
            ("a digest before instances", "mailgate.digest.3f2a@ac-exemple.fr", IdKind::LegacyDigest),
            (
                "GLPI notification",
                "GLPI_5f3c2a1b9d8e7f60-Ticket-42/followup.1700000000.123456@glpi.ac-exemple.fr",
                IdKind::Glpi(42),
            ),
            ("GLPI thread root", "GLPI-Ticket-42@glpi.ac-exemple.fr", IdKind::Glpi(42)),
            ("GLPI other item type", "GLPI_5f3c-Problem-42/new.1@glpi", IdKind::Foreign),
            ("ticket zero is nobody", "mailgate-support-informatique.0@ac-exemple.fr", IdKind::Foreign),
            ("a user's own id", "CAF3kd8=x@mail.gmail.com", IdKind::Foreign),
        ];
        let mut failures = Vec::new();
        for (name, id, expected) in cases {
            let got = ids().classify(id);
            if got != expected {
                failures.push(format!("{name}: {id} is {got:?}, expected {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn generated_ids_are_recognised() {
        let ids = ids();
        assert_eq!(ids.ticket_named_by(&ids.notification(99, Event::Followup, "0123456789abcdef")), Some(99));
        assert_eq!(ids.ticket_named_by(&ids.thread_root(99)), Some(99));
        let digest = ids.digest("0123456789abcdef");
        assert_eq!(ids.ticket_named_by(&digest), None, "a digest names no ticket");
        assert!(ids.is_digest(&digest) && ids.is_ours(&digest));
        let other = MessageIds::new("support-lycee", "ac-exemple.fr");
        assert!(!ids.is_ours(&other.notification(99, Event::Followup, "ab")), "another instance's is not ours");
    }
}
