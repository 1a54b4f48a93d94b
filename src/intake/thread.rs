//! Which ticket a mail belongs to. A mail answers ticket N when, in this
//! order: its In-Reply-To or References name a Message-ID that mailgate
//! generated for N (or that GLPI generated, so that threads begun before the
//! switch keep working), or the Message-ID of a mail already recorded on N;
//! or its subject carries the token `[TAG #N]`. Headers come first because
//! users edit subjects and clients keep headers. The daily digest's
//! Message-ID names no ticket: a reply to it belongs to none.

use std::sync::LazyLock;

use regex::Regex;

use super::View;
use crate::mail::InboundMail;
use crate::mail::subject::SubjectToken;
use crate::ticket::{Event, TicketId};

/// mailgate's Message-ID for a notification: it names the ticket, so that a
/// reply threads even when the user rewrote the subject.
pub fn notification_message_id(ticket: TicketId, event: Event, nonce: &str, domain: &str) -> String {
    format!("mailgate.{ticket}.{}.{nonce}@{domain}", event.as_str())
}

/// The Message-ID every notification of a ticket refers to, so that mail
/// clients group the whole conversation even when messages are missing.
pub fn thread_root_message_id(ticket: TicketId, domain: &str) -> String {
    format!("mailgate.{ticket}@{domain}")
}

/// mailgate's Message-ID for a daily digest. It names no ticket, so that a
/// reply to it cannot land on any one of the tickets it lists.
pub fn digest_message_id(nonce: &str, domain: &str) -> String {
    format!("mailgate.digest.{nonce}@{domain}")
}

/// Whether `message_id` is a digest that mailgate generated on `our_domain`.
pub fn is_digest(message_id: &str, our_domain: &str) -> bool {
    static DIGEST: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^mailgate\.digest\.[0-9a-f]+@(.+)$").expect("static regex"));
    DIGEST.captures(message_id).and_then(|c| c.get(1)).is_some_and(|d| d.as_str().eq_ignore_ascii_case(our_domain))
}

/// The ticket a Message-ID was generated for, by mailgate (on `our_domain`)
/// or by GLPI (`GLPI_<uuid>-Ticket-<N>/<event>…@host`, any host).
pub fn ticket_named_by(message_id: &str, our_domain: &str) -> Option<TicketId> {
    static OURS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^mailgate\.(\d{1,18})(?:\.[a-z_]+\.[0-9a-f]+)?@(.+)$").expect("static regex"));
    static GLPI: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^GLPI(?:_[0-9a-fA-F]+)?-Ticket-(\d{1,18})(?:[/.@]|$)").expect("static regex"));
    if let Some(c) = OURS.captures(message_id) {
        let domain = c.get(2)?.as_str();
        if domain.eq_ignore_ascii_case(our_domain) {
            return c.get(1)?.as_str().parse().ok().filter(|n| *n > 0);
        }
        return None;
    }
    GLPI.captures(message_id)?.get(1)?.as_str().parse().ok().filter(|n| *n > 0)
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
    None,
}

pub fn find_ticket(mail: &InboundMail, view: &dyn View, token: &SubjectToken, our_domain: &str) -> ThreadMatch {
    for id in mail.thread_ids() {
        let ticket = ticket_named_by(id, our_domain).or_else(|| view.ticket_of_message(id));
        if let Some(ticket) = ticket.filter(|t| view.ticket(*t).is_some()) {
            return ThreadMatch::Header(ticket);
        }
    }
    match token.find(&mail.subject) {
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

    #[test]
    fn message_ids_that_name_a_ticket() {
        let cases = [
            ("our notification", "mailgate.123.followup.3f2a9c0d1e4b5a69@ac-exemple.fr", Some(123)),
            ("our thread root", "mailgate.7@ac-exemple.fr", Some(7)),
            ("our scheme on another domain is not ours", "mailgate.123.followup.3f2a@evil.com", None),
            ("domain compared case-insensitively", "mailgate.5.ticket_new.ab@AC-EXEMPLE.FR", Some(5)),
            (
                "GLPI notification",
                "GLPI_5f3c2a1b9d8e7f60-Ticket-42/followup.1700000000.123456@glpi.ac-exemple.fr",
                Some(42),
            ),
            ("GLPI thread root", "GLPI-Ticket-42@glpi.ac-exemple.fr", Some(42)),
            ("GLPI other item type", "GLPI_5f3c-Problem-42/new.1@glpi", None),
            ("ticket zero is nobody", "mailgate.0@ac-exemple.fr", None),
            ("a daily digest names no ticket", "mailgate.digest.3f2a9c0d1e4b5a69@ac-exemple.fr", None),
            ("a user's own id", "CAF3kd8=x@mail.gmail.com", None),
        ];
        for (name, id, expected) in cases {
            assert_eq!(ticket_named_by(id, "ac-exemple.fr"), expected, "{name}");
        }
    }

    #[test]
    fn generated_ids_are_recognised() {
        let id = notification_message_id(99, Event::Followup, "0123456789abcdef", "ac-exemple.fr");
        assert_eq!(ticket_named_by(&id, "ac-exemple.fr"), Some(99));
        assert_eq!(ticket_named_by(&thread_root_message_id(99, "ac-exemple.fr"), "ac-exemple.fr"), Some(99));
    }

    #[test]
    fn a_digest_id_is_ours_and_names_no_ticket() {
        let id = digest_message_id("0123456789abcdef", "ac-exemple.fr");
        assert_eq!(ticket_named_by(&id, "ac-exemple.fr"), None);
        assert!(is_digest(&id, "ac-exemple.fr"));
        assert!(is_digest("mailgate.digest.0123abcd@AC-EXEMPLE.FR", "ac-exemple.fr"), "domain in any case");
        assert!(!is_digest("mailgate.digest.0123@evil.com", "ac-exemple.fr"), "another domain's is not ours");
        assert!(!is_digest("mailgate.7.followup.ab@ac-exemple.fr", "ac-exemple.fr"));
    }
}
