//! What to do with one inbound mail. [`Intake::decide`] is pure: it reads the mail,
//! the configuration and a read-only [`View`] of the store, and returns a
//! [`Decision`] that the store applies in one transaction. Keeping the rules
//! here, away from SQL and sockets, is what lets every rule be tested as a
//! table without a database.

mod caller;
mod decide;
pub mod loop_guard;
pub mod thread;
pub mod trust;

pub use decide::Intake;

use crate::lifecycle::{AutoReply, Plan, TicketFacts};
use crate::mail::Mailbox;
use crate::routing::Routing;
use crate::ticket::{Role, TicketId};

/// The recorded fate of a message, as stored and shown in `messages list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    TicketCreated,
    FollowupAdded,
    Refused,
    Ignored,
    Duplicate,
}

impl Outcome {
    pub const ALL: [Outcome; 5] =
        [Outcome::TicketCreated, Outcome::FollowupAdded, Outcome::Refused, Outcome::Ignored, Outcome::Duplicate];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::TicketCreated => "ticket_created",
            Outcome::FollowupAdded => "followup_added",
            Outcome::Refused => "refused",
            Outcome::Ignored => "ignored",
            Outcome::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// What the store must do with a mail. One exists per mail in hand, never
/// in bulk: its largest variant's size costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Open a ticket. `note` says why it is new when the mail looked like a
    /// reply (a token for an unknown ticket, a stranger's reply, a reply to a
    /// closed ticket), and `related` names the ticket it referred to.
    NewTicket {
        title: String,
        requester: Mailbox,
        /// Cc'd colleagues and the persons the rule adds.
        observers: Vec<Mailbox>,
        /// Where the rules filed it; never a refusal here.
        routing: Routing,
        note: Option<String>,
        related: Option<TicketId>,
        /// A technician who opened the ticket for `requester` (a forwarded
        /// mail, `#pour adresse`): recorded in the history as its author.
        opened_by: Option<Mailbox>,
        /// The number the thread had in the system mailgate replaced
        /// (below `tickets.first_number`): "suite de GLPI #3".
        previous_number: Option<u64>,
    },
    /// Add the mail to `ticket`: its text as a followup, and the changes and
    /// notifications of the [`Plan`] (commands, a solution accepted...).
    Followup { ticket: TicketId, author: Mailbox, role: Role, plan: Plan },
    /// A technician's commands that cannot be obeyed, or `#help`: the
    /// ticket is left as it was and the technician gets an answer.
    AutoReply { ticket: TicketId, author: Mailbox, reply: AutoReply },
    /// Record and drop: a sender mailgate does not serve. Never answered.
    Refuse { reason: String },
    /// Record and drop: a robot (auto-reply, bounce, list) or mailgate itself.
    Ignore { reason: String },
    /// Record and drop like [`Decision::Refuse`], and tell the sender why,
    /// once a day at most: an outside person (`institution.refusal_reply`)
    /// or a colleague whose file was over the limit. Never a robot: the
    /// robot guard runs first.
    Decline { reason: String, to: Mailbox, notice: RefusalNotice },
    /// Record and hold for an operator: a sender of an allowed domain whose
    /// authenticity could not be established (`trust.mode = "enforce"`).
    /// Never answered; `messages release` lets it through.
    Quarantine { reason: String },
    /// The same mail was already recorded as message `of`.
    Duplicate { of: i64 },
}

impl Decision {
    pub fn outcome(&self) -> Outcome {
        match self {
            Decision::NewTicket { .. } => Outcome::TicketCreated,
            Decision::Followup { .. } => Outcome::FollowupAdded,
            // Recorded as refused (commands not obeyed) or ignored (help
            // sent): the ticket is unchanged either way.
            Decision::AutoReply { reply: AutoReply::CommandErrors(_), .. } => Outcome::Refused,
            Decision::AutoReply { reply: AutoReply::Help, .. } => Outcome::Ignored,
            Decision::Refuse { .. } | Decision::Quarantine { .. } | Decision::Decline { .. } => Outcome::Refused,
            Decision::Ignore { .. } => Outcome::Ignored,
            Decision::Duplicate { .. } => Outcome::Duplicate,
        }
    }
}

/// Why a declined sender is told their mail was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalNotice {
    /// A person outside the institution: write from your institutional address.
    Outside,
    /// A file over `limits.max_attachment_bytes`.
    TooLarge { filename: String, size: u64, limit: u64 },
}

/// The store as `decide` reads it. Implemented by the store over SQLite and
/// by plain maps in tests.
pub trait View {
    fn ticket(&self, id: TicketId) -> Option<TicketFacts>;
    /// The ticket an inbound mail with this Message-ID was recorded on.
    fn ticket_of_message(&self, message_id: &str) -> Option<TicketId>;
    /// An earlier record of the same mail: same Message-ID and content.
    fn earlier_copy(&self, message_id: &str, content_hash: &str) -> Option<i64>;
}

#[cfg(test)]
mod tests;
