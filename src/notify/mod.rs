//! Notifications: who hears about a ticket event ([`recipients`]), what they
//! read ([`templates`], [`compose`]), the daily [`digest`] of open tickets,
//! and how it leaves ([`transport`], [`sender`]). Composing is pure and
//! happens inside the transaction of the change, so the outbox row holds the
//! finished mail; sending happens later, from the outbox, through a
//! [`transport::Transport`].

pub mod bounds;
pub mod compose;
pub mod digest;
pub mod recipients;
pub mod refusal;
pub mod sender;
pub mod smtp;
pub mod story;
pub mod templates;
pub mod transport;

pub use compose::Notifier;
pub use templates::{TemplateError, Templates};

use serde::Serialize;

use crate::lifecycle::Assignee;
use crate::mail::Mailbox;
use crate::ticket::{Event, Role, Status, TicketId, TicketType};

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

impl Person {
    /// The same person with their display name made fit for a greeting
    /// (one line, bounded): names come from mail headers.
    pub fn bounded(&self) -> Person {
        Person { email: self.email.clone(), name: self.name.as_deref().and_then(bounds::display_name) }
    }
}

/// A person as a mail named them, display name bounded (see [`bounds`]).
impl From<&Mailbox> for Person {
    fn from(m: &Mailbox) -> Self {
        Person { email: m.address.clone(), name: m.name.as_deref().and_then(bounds::display_name) }
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

/// What caused the notification.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub author: Mailbox,
    pub author_role: Role,
    /// The inbound mail's Message-ID: the notification answers it.
    pub message_id: String,
    /// The followup's text, for followup events; the solution's for a solution.
    pub followup: Option<String>,
    /// A private followup: the requester side does not hear of it.
    pub private: bool,
    /// Who the ticket was given to, for [`Event::Assigned`].
    pub assignee: Option<Assignee>,
    /// The status before the change, for [`Event::StatusChanged`].
    pub previous_status: Option<Status>,
    /// What could not be obeyed, for [`Event::CommandError`].
    pub errors: Vec<String>,
    /// Whether the notification may quote what the mail's author wrote:
    /// not when `[trust]` found the sender unauthenticated, so that a forged
    /// sender's text is never relayed under the institution's name.
    pub quote: bool,
    /// The files the mail brought to the ticket, when they may travel: a new
    /// ticket's, or a public followup's (never a private one's).
    pub files: Vec<FileNote>,
    /// The ticket's latest public followups before this mail, newest first.
    pub history: Vec<HistoryNote>,
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

impl Trigger {
    pub fn new(author: Mailbox, author_role: Role, message_id: String) -> Trigger {
        Trigger {
            author,
            author_role,
            message_id,
            followup: None,
            private: false,
            assignee: None,
            previous_status: None,
            errors: Vec::new(),
            quote: true,
            files: Vec::new(),
            history: Vec::new(),
        }
    }
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
