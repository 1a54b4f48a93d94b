//! The plain data of what mailgate tells people, shared by the store (which
//! reads and writes it) and [`crate::notify`] (which composes it): the ticket
//! as a notification describes it, the people, files and earlier followups it
//! names, and a finished notification for the outbox. No behaviour lives
//! here beyond trivial accessors, so that neither side depends on the other.

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
