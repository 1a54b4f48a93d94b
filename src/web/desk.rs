//! What the pages ask of the one writer. The web is a second door into the
//! life cycle, so it holds no rule of its own: accepting, refusing, adding a
//! followup and cancelling are handed to a [`Desk`], which the daemon wires
//! to its single writer (the same functions as a mail's commands), and so
//! is mailing a fresh link. The pages only check who asks (the signed link)
//! and that the form is theirs (CSRF).

use futures::future::BoxFuture;

use crate::mail::Mailbox;
pub use crate::notify::link_mail::LinkKind;
use crate::ticket::{Role, TicketId};

/// A file sent with a followup form.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What a person did on a ticket's page.
#[derive(Debug, Clone)]
pub enum WebAction {
    /// « Accepter » the pending solution.
    AcceptSolution,
    /// « Refuser », with the reason (added as a followup).
    RefuseSolution { reason: String },
    /// A followup, with its files.
    Followup { text: String, files: Vec<Upload> },
    /// « Annuler ma demande ».
    Cancel,
}

/// One action, by the address the link was made for, on one ticket; its
/// origin in the history is the web.
#[derive(Debug, Clone)]
pub struct WebAct {
    pub ticket: TicketId,
    pub author: String,
    /// What the author is on the ticket (its requester, or an observer);
    /// the writer checks it against the ticket again.
    pub role: Role,
    pub action: WebAction,
}

/// Why the desk did not do it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeskError {
    /// The life cycle said no (e.g. no solution is waiting any more): the
    /// words are for the person.
    #[error("{0}")]
    Refused(String),
    /// The writer is not reachable (stopping, or not wired in this build).
    #[error("the helpdesk cannot take this now: {0}; write by mail instead")]
    Unavailable(String),
}

/// The one writer, as the pages see it. Object-safe (boxed futures) so the
/// server holds an `Arc<dyn Desk>`.
pub trait Desk: Send + Sync {
    /// Does `act` through the same function as the matching mail.
    fn act(&self, act: WebAct) -> BoxFuture<'_, Result<(), DeskError>>;
    /// Mails `link`, which opens `kind` for `valid_for` (in words), to `to`
    /// (a one-off notification through the outbox).
    fn send_link(
        &self,
        to: Mailbox,
        link: String,
        kind: LinkKind,
        valid_for: String,
    ) -> BoxFuture<'_, Result<(), DeskError>>;
}
