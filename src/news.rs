//! The plain data of what mailgate tells people, shared by the store (which
//! reads and writes it) and [`crate::notify`] (which composes it): the ticket
//! as a notification describes it, the people, files and earlier followups it
//! names, and a finished notification for the outbox. No behaviour lives
//! here beyond trivial accessors and the stored form of a notification's text,
//! so that neither side depends on the other.

use std::borrow::Cow;

use serde::Serialize;

use crate::ticket::{Event, Role, Status, TicketId, TicketType};

/// How much of a quoted text a notification carries (16 KiB): a person
/// reads that much in a mail, and the ticket holds the rest. The store reads
/// followups up to it; [`crate::notify::bounds`] cuts by it.
pub const MAX_QUOTED_BYTES: usize = 16 * 1024;

/// A person as templates see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub email: String,
    pub name: Option<String>,
}

impl Person {
    pub fn display(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.email)
    }
}

/// The ticket after the change, as notifications describe it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketContext {
    pub id: TicketId,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub entity: String,
    pub requester: Person,
    pub observers: Vec<Person>,
    pub technicians: Vec<Person>,
    /// Names of the groups in charge and of those kept informed.
    pub assigned_groups: Vec<String>,
    pub observer_groups: Vec<String>,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub category: Option<String>,
    pub urgency: u8,
    pub impact: u8,
    pub priority: u8,
    pub location: Option<String>,
    pub created_at: String,
    /// The Message-ID of the mail that opened the ticket, when it came by mail.
    pub origin_message_id: Option<String>,
}

/// A stored file as a notification names or carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileNote {
    /// The row in `attachments`.
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub inline: bool,
}

/// An earlier public followup, as a notification quotes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryNote {
    pub author: Person,
    pub role: Role,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The head of the text (all of it when short), read up to a bound.
    pub body: String,
    /// The whole text's length in bytes.
    pub total_bytes: usize,
}

/// One finished notification to one recipient, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The ticket it is about; None for the daily digest, which is about many.
    pub ticket: Option<TicketId>,
    pub event: Event,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    /// Without angle brackets, like every Message-ID mailgate stores.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// The files (rows of `attachments`) this notification carries, attached
    /// when it is sent; empty when there are none or they are only listed.
    pub attachments: Vec<i64>,
    /// The recipient's own link to the ticket's page, when `text` carries
    /// one: the outbox stores it as [`LINK_MARKER`] (see
    /// [`Notification::shared_text`]).
    pub link: Option<String>,
}

/// Stands for the recipient's personal link in a stored notification text,
/// so that recipients of one event who get the same words share one stored
/// body. The link is made again from the ticket, the address and the row's
/// time when the mail is sent (as the HTML alternative's button always was).
/// A control character no template writes; a text that holds it anyway
/// (someone's words) is stored whole instead.
pub const LINK_MARKER: &str = "\u{1}link\u{1}";

impl Notification {
    /// The text as the outbox stores it, and whether it holds
    /// [`LINK_MARKER`]s to replace by the recipient's link when sending.
    pub fn shared_text(&self) -> (Cow<'_, str>, bool) {
        match &self.link {
            Some(link) if !link.is_empty() && !self.text.contains(LINK_MARKER) && self.text.contains(link.as_str()) => {
                (Cow::Owned(self.text.replace(link.as_str(), LINK_MARKER)), true)
            }
            _ => (Cow::Borrowed(&self.text), false),
        }
    }
}

/// An open ticket (not solved, closed or cancelled) as the digest reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTicket {
    pub id: TicketId,
    pub title: String,
    pub status: Status,
    pub priority: u8,
    pub entity: String,
    /// RFC 3339, UTC, as stored.
    pub created_at: String,
    pub updated_at: String,
    /// Addresses of its technicians.
    pub technicians: Vec<String>,
    /// Names of the groups in charge (not the observer groups).
    pub assigned_groups: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(text: &str, link: Option<&str>) -> Notification {
        Notification {
            ticket: Some(1),
            event: Event::TicketNewStaff,
            recipient: "jean.martin@ac-exemple.fr".into(),
            subject: "s".into(),
            text: text.into(),
            message_id: "m@ac-exemple.fr".into(),
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
            link: link.map(str::to_string),
        }
    }

    #[test]
    fn a_stored_text_holds_a_marker_for_the_personal_link_unless_it_cannot_be_told_apart() {
        let m = LINK_MARKER;
        let marked_already = format!("{m} https://s/t?k=A");
        let table = [
            (
                "the link, twice",
                "Voir https://s/t?k=A\nou https://s/t?k=A",
                Some("https://s/t?k=A"),
                format!("Voir {m}\nou {m}"),
                true,
            ),
            ("no link", "Bonjour", None, "Bonjour".to_string(), false),
            ("an empty link", "Bonjour", Some(""), "Bonjour".to_string(), false),
            ("a link the text does not carry", "Bonjour", Some("https://s/t?k=A"), "Bonjour".to_string(), false),
            (
                "someone's words already hold the marker",
                marked_already.as_str(),
                Some("https://s/t?k=A"),
                format!("{m} https://s/t?k=A"),
                false,
            ),
        ];
        for (case, text, link, stored, marked) in table {
            let n = notification(text, link);
            let (got, got_marked) = n.shared_text();
            assert_eq!((got.as_ref(), got_marked), (stored.as_str(), marked), "{case}");
        }
    }
}
