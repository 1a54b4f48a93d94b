//! The mail that carries a personal link asked for on the web: the page of
//! one ticket (an expired link renewed), « Mes demandes » (asked for by
//! typing one's address), or a technician's sign-in. It goes only to the
//! address the link was made for, and, like a refusal answer, names no
//! ticket in its Message-ID, so that a reply to it opens nothing by itself.

use serde::Serialize;

use super::{Notification, Notifier};
use crate::mail::Mailbox;
use crate::mail::parse::sha256_hex;
use crate::ticket::{Event, Language, TicketId};

/// What a mailed link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// The page of one ticket.
    Ticket(TicketId),
    /// « Mes demandes »: every ticket of the address.
    Mine,
    /// A technician's sign-in (single use).
    SignIn,
}

impl LinkKind {
    fn name(self) -> &'static str {
        match self {
            LinkKind::Ticket(_) => "ticket",
            LinkKind::Mine => "mine",
            LinkKind::SignIn => "sign_in",
        }
    }
}

#[derive(Serialize)]
struct LinkForTemplate<'a> {
    /// "ticket", "mine" or "sign_in".
    kind: &'static str,
    url: &'a str,
    /// How long the link works, in words ("90 jours", "15 minutes").
    valid_for: &'a str,
    /// The ticket's number, for a ticket's link; empty otherwise.
    ticket: String,
}

impl Notifier {
    /// The mail carrying `url` to `to`; `valid_for` says how long it works.
    pub fn link_mail(&self, to: &Mailbox, url: &str, kind: LinkKind, valid_for: &str, at: &str) -> Notification {
        let subject = match (self.language, kind) {
            (Language::Fr, LinkKind::Ticket(id)) => format!("[{}] Le lien de votre demande n° {id}", self.tag),
            (Language::Fr, LinkKind::Mine) => format!("[{}] Le lien de vos demandes", self.tag),
            (Language::Fr, LinkKind::SignIn) => format!("[{}] Votre lien de connexion", self.tag),
            (Language::En, LinkKind::Ticket(id)) => format!("[{}] The link to your request {id}", self.tag),
            (Language::En, LinkKind::Mine) => format!("[{}] The link to your requests", self.tag),
            (Language::En, LinkKind::SignIn) => format!("[{}] Your sign-in link", self.tag),
        };
        let ticket = match kind {
            // In a sentence, a number reads without GLPI's zeros.
            LinkKind::Ticket(id) => id.to_string(),
            _ => String::new(),
        };
        let link = LinkForTemplate { kind: kind.name(), url, valid_for, ticket };
        let nonce = &sha256_hex(format!("link|{}|{}|{at}|{url}", kind.name(), to.address).as_bytes())[..16];
        self.one_off(Event::PersonalLink, to, subject, ("link", link), self.ids.link(nonce))
    }
}
