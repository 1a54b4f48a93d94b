//! A technician opening a ticket for someone else: a user phoned, or wrote
//! to the technician directly, and the technician forwards the mail
//! (`TR:` / `Fwd:`) or writes `#pour adresse` at the top of a new mail. The
//! user is then the ticket's requester, who gets the acknowledgment and the
//! answers; the technician is recorded as who opened it. Pure: reads the
//! mail's text (the forwarded header block Outlook, Gmail and Thunderbird
//! write) or the forwarded message attached as `message/rfc822`.

use std::sync::LazyLock;

use regex::Regex;

use crate::lifecycle::commands::{self, Command};
use crate::mail::{InboundMail, Mailbox, address};

/// For whom a technician's new mail is, and how that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// `#pour adresse` / `#requester adresse` at the top.
    Named(Mailbox),
    /// The sender of the forwarded mail.
    Forwarded(Mailbox),
    /// `#pour` named something that is not one mail address.
    Unreadable(String),
}

/// The person a technician's new mail is for, if it says so.
pub fn caller(mail: &InboundMail, written: &str) -> Option<Caller> {
    let block = commands::parse(written);
    if let Some(target) = block.commands.iter().find_map(|c| match c {
        Command::For(target) => Some(target),
        _ => None,
    }) {
        return Some(match mailbox_in(target) {
            Some(m) => Caller::Named(m),
            None => Caller::Unreadable(target.clone()),
        });
    }
    if !is_forward(&mail.subject) {
        return None;
    }
    forwarded_from_text(&mail.text).or_else(|| forwarded_from_attachment(mail)).map(Caller::Forwarded)
}

/// `TR:`, `Fwd:`, `Fw:`, `WG:` (Outlook in French, English, German).
fn is_forward(subject: &str) -> bool {
    static FORWARD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^\s*(?:(?:re|aw)\s*:\s*)*(?:tr|fwd?|wg)\s*:").expect("static regex"));
    FORWARD.is_match(subject)
}

/// The first `De :` / `From:` line of the forwarded header block.
fn forwarded_from_text(text: &str) -> Option<Mailbox> {
    static FROM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?im)^[\s>*]*(?:de|from|von)\s*:\s*\**\s*(.+?)\s*$").expect("static regex"));
    FROM.captures_iter(text).find_map(|c| mailbox_in(c.get(1)?.as_str()))
}

fn forwarded_from_attachment(mail: &InboundMail) -> Option<Mailbox> {
    mail.attachments.iter().filter(|a| a.content_type == "message/rfc822").find_map(|a| {
        let message = mail_parser::MessageParser::default().parse(&a.content)?;
        let from = message.from()?.first()?;
        let plain = address::plain(from.address()?).ok()?;
        Some(Mailbox::new(&plain, from.name()))
    })
}

/// One mail address out of `Marie Dupont <marie@x>`, `marie@x`, Outlook's
/// `Marie Dupont [mailto:marie@x]`; None for anything else.
fn mailbox_in(text: &str) -> Option<Mailbox> {
    static ANGLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(.*?)\s*(?:<\s*(?:mailto:)?([^<>\s]+)\s*>|\[\s*mailto:([^\[\]\s]+)\s*\])\s*$")
            .expect("static regex")
    });
    let (name, raw) = match ANGLE.captures(text) {
        Some(c) => {
            let raw = c.get(2).or(c.get(3))?.as_str();
            let name = c.get(1).map(|m| m.as_str().trim_matches(|ch: char| ch == '"' || ch.is_whitespace()));
            (name.filter(|n| !n.is_empty()), raw)
        }
        None => (None, text.trim().trim_start_matches("mailto:")),
    };
    let plain = address::plain(raw).ok()?;
    Some(Mailbox::new(&plain, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_senders_are_read_from_the_header_blocks_clients_write() {
        let cases = [
            (
                "Outlook FR",
                "Voir ci-dessous.\n\nDe : Marie Dupont <marie.dupont@ac-exemple.fr>\nEnvoyé : lundi",
                "marie.dupont@ac-exemple.fr",
            ),
            (
                "Outlook mailto",
                "________________________________\nDe : Marie Dupont [mailto:Marie.Dupont@ac-exemple.fr]\n",
                "marie.dupont@ac-exemple.fr",
            ),
            (
                "Gmail",
                "---------- Forwarded message ---------\nFrom: Paul <paul@lyc-curie.ac-exemple.fr>\nDate: Mon",
                "paul@lyc-curie.ac-exemple.fr",
            ),
            (
                "Thunderbird",
                "-------- Message transféré --------\nSujet : x\nDe : paul@lyc-curie.ac-exemple.fr\n",
                "paul@lyc-curie.ac-exemple.fr",
            ),
            ("bold OWA", "*De :* Marie <marie@ac-exemple.fr>\n", "marie@ac-exemple.fr"),
        ];
        for (name, text, expected) in cases {
            assert_eq!(forwarded_from_text(text).map(|m| m.address), Some(expected.to_string()), "{name}");
        }
        assert_eq!(forwarded_from_text("De rien, à demain."), None, "a sentence is no header");
    }

    #[test]
    fn forward_prefixes_in_the_languages_of_outlook() {
        for (subject, forward) in [
            ("TR: Imprimante", true),
            ("Fwd: x", true),
            ("FW: x", true),
            ("RE: TR: x", true),
            ("RE: x", false),
            ("Tri des copies", false),
        ] {
            assert_eq!(is_forward(subject), forward, "{subject}");
        }
    }
}
