//! What the pages ask of the one writer. The web is a second door into the
//! life cycle, so it holds no rule of its own: accepting, refusing, adding a
//! followup and cancelling are handed to a [`Desk`], which the daemon wires
//! to its single writer (the same functions as a mail's commands), and so
//! is mailing a fresh link. The pages only check who asks (the signed link)
//! and that the form is theirs (CSRF).

use futures::future::BoxFuture;

use crate::lifecycle::commands::Command;
use crate::mail::Mailbox;
pub use crate::notify::link_mail::LinkKind;
pub use crate::store::SessionRecord;
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
    /// A technician's form on the staff ticket page: the commands of the
    /// matching mail (`#take`, `#assign`…), with the followup's text and
    /// files, private when `private` (the author must be a technician).
    Commands { commands: Vec<Command>, text: String, private: bool, files: Vec<Upload> },
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
    /// A technician's commands the life cycle would not obey, one line
    /// each, as the mail answer words them; nothing was changed.
    #[error("{}", .0.join("; "))]
    Commands(Vec<String>),
    /// The writer is not reachable (stopping, or not wired in this build).
    #[error("the helpdesk cannot take this now: {0}; write by mail instead")]
    Unavailable(String),
}

/// What the staff pages write that is not a ticket's life cycle: sign-in
/// bookkeeping and the operators' actions. It goes to the same one writer
/// as everything else (see the daemon's `web_staff`), so that no second
/// connection ever contends for SQLite's write lock with intake.
/// Secrets arrive hashed; times are RFC 3339 UTC, as stored.
#[derive(Debug, Clone)]
pub enum StaffWrite {
    /// Keep a mailed sign-in link's hash, if `email` has fewer than
    /// `max_pending` unused links; answers [`StaffWritten::Sent`].
    SigninToken { token_hash: String, email: String, now: String, expires_at: String, max_pending: u32 },
    /// Use up a sign-in link and open a session in the same job; answers
    /// [`StaffWritten::Email`] (None: unknown, used or expired link).
    SignIn { token_hash: String, session_hash: String, now: String, idle_until: String, absolute_until: String },
    /// Open a session for a person the trusted proxy named.
    ProxySession { session_hash: String, email: String, now: String, idle_until: String, absolute_until: String },
    /// Move a live session's idle deadline on; answers [`StaffWritten::Session`].
    Touch { session_hash: String, now: String, idle_until: String },
    /// Sign-out.
    SignOut { session_hash: String },
    /// `messages replay ID`: a refused or ignored mail decided again under
    /// the configuration in force; answers [`StaffWritten::Note`].
    Replay { message_row: i64 },
    /// `outbox retry ID`: answers [`StaffWritten::Count`] (0: not waiting).
    RetryOutbox { id: i64, now: String },
    /// `outbox retry --held`.
    ReleaseHeld { now: String },
    /// `outbox retry --failed`.
    RetryFailed { now: String },
}

/// What a [`StaffWrite`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffWritten {
    Done,
    /// Whether a sign-in link was recorded (false: too many pending).
    Sent(bool),
    Email(Option<String>),
    Session(Option<SessionRecord>),
    Count(usize),
    Note(String),
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
    /// Does a write of the staff pages that is not a ticket's life cycle.
    fn staff_write(&self, write: StaffWrite) -> BoxFuture<'_, Result<StaffWritten, DeskError>>;
}
