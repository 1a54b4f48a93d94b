//! Replaying a stored mail: an operator runs a refused or ignored mail
//! through the pipeline again after a configuration change, or releases a
//! quarantined one, vouching for its sender. A mail that made a ticket or a
//! followup is never replayed: it would make it twice.

use super::{Pipeline, PipelineError, read};
use crate::desk::Applied;
use crate::intake::View;
use crate::lifecycle::TicketFacts;
use crate::source::RawMessage;
use crate::store::{Store, StoreError};
use crate::ticket::TicketId;

impl Pipeline {
    /// Runs a stored mail through the pipeline again, after a configuration
    /// change. Only mails that were refused or ignored can be replayed: one
    /// that made a ticket or followup would make it twice.
    pub fn replay(&mut self, message_row: i64) -> Result<Applied, PipelineError> {
        self.replay_as(message_row, false)
    }

    /// Lets a quarantined mail through: an operator vouches for its sender,
    /// and it is decided again as if authenticated.
    pub fn release(&mut self, message_row: i64) -> Result<Applied, PipelineError> {
        if !self.store.message(message_row)?.quarantined {
            return Err(StoreError::Refused(format!("message {message_row} is not in quarantine")).into());
        }
        self.replay_as(message_row, true)
    }

    fn replay_as(&mut self, message_row: i64, released: bool) -> Result<Applied, PipelineError> {
        let record = self.store.message(message_row)?;
        if !matches!(record.outcome, crate::intake::Outcome::Refused | crate::intake::Outcome::Ignored) {
            return Err(StoreError::Refused(format!(
                "message {message_row} was {}{}; only refused or ignored messages can be replayed",
                record.outcome.as_str(),
                record.ticket_id.map(|t| format!(" on ticket #{t}")).unwrap_or_default()
            ))
            .into());
        }
        if let Some(replay) = self.store.effective_replay(message_row)? {
            return Err(StoreError::Refused(format!(
                "message {message_row} was already replayed as message {replay}, which was recorded"
            ))
            .into());
        }
        let raw = self.store.raw_message(message_row)?;
        let message = RawMessage::new(format!("replay-of-{message_row}"), raw);
        let read = read::read(&self.intake, &message);
        self.store.begin()?;
        let replay = Replayed { of: message_row, released };
        let result = self.record(&record.source, &message, read, Some(replay));
        self.store.finish(result.is_ok())?;
        result
    }
}

/// A replay by an operator: of which message, and whether it was released
/// from quarantine.
#[derive(Debug, Clone, Copy)]
pub(super) struct Replayed {
    pub(super) of: i64,
    pub(super) released: bool,
}

/// The store seen by a replay: the mail's own earlier record is not a copy.
pub(super) struct Replay<'a>(pub(super) &'a Store);

impl View for Replay<'_> {
    fn ticket(&self, id: TicketId) -> Option<TicketFacts> {
        self.0.ticket(id)
    }
    fn ticket_of_message(&self, message_id: &str) -> Option<TicketId> {
        self.0.ticket_of_message(message_id)
    }
    fn earlier_copy(&self, _message_id: &str, _content_hash: &str) -> Option<i64> {
        None
    }
}
