//! Notifications: who hears about a ticket event ([`recipients`]), what they
//! read ([`templates`], [`compose`]), the daily [`digest`] of open tickets,
//! and how it leaves ([`transport`], [`sender`]). Composing is pure and
//! happens inside the transaction of the change, so the outbox row holds the
//! finished mail; sending happens later, from the outbox, through a
//! [`transport::Transport`].

pub mod bounds;
pub mod compose;
pub mod digest;
pub mod link_mail;
mod one_off;
pub mod recipients;
pub mod refusal;
pub mod sender;
pub mod smtp;
pub mod story;
pub mod templates;
pub mod transport;

/// The plain data a notification is made of, shared with the store: see [`crate::news`].
pub use crate::news::{FileNote, HistoryNote, Notification, Person, TicketContext};
pub use compose::Notifier;
pub use templates::{TemplateError, Templates};

use crate::lifecycle::Assignee;
use crate::mail::Mailbox;
use crate::ticket::{Role, Status};

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
