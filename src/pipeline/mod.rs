//! One mail's way through mailgate: parse, decide, apply, in that order,
//! with the size limit checked before parsing and any panic from a hostile
//! mail contained and recorded as a refusal. The [`Pipeline`] owns the one
//! writer connection; sources hand it bytes and acknowledge what it returns.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use crate::clock::Clock;
use crate::config::Config;
use crate::intake::{Decision, Intake, TicketFacts, View};
use crate::mail::{InboundMail, parse};
use crate::notify::{Notifier, TemplateError};
use crate::store::{Applied, QueuedDigest, Received, Store, StoreError};
use crate::ticket::TicketId;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The mail was not recorded and must stay in its source for a retry.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
}

impl PipelineError {
    pub fn is_transient(&self) -> bool {
        match self {
            PipelineError::Store(e) => e.is_transient(),
            PipelineError::Templates(_) => false,
        }
    }
}

/// What became of a mail handed to [`Pipeline::process`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    Recorded(Applied),
    /// The source had already handed it over and it was recorded; only the
    /// acknowledgment had been lost (a crash between commit and ack).
    AlreadyRecorded,
}

pub struct Pipeline {
    store: Store,
    intake: Intake,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
}

impl Pipeline {
    pub fn new(store: Store, config: Arc<Config>, clock: Arc<dyn Clock>) -> Result<Pipeline, PipelineError> {
        let notifier = Arc::new(Notifier::new(&config)?);
        Ok(Pipeline { store, intake: Intake::new(config), notifier, clock })
    }

    /// Takes a new configuration's rules and templates (SIGHUP). Templates
    /// are read and checked first: a broken one leaves everything as it was.
    pub fn reload(&mut self, config: Arc<Config>) -> Result<Arc<Notifier>, PipelineError> {
        let notifier = Arc::new(Notifier::new(&config)?);
        self.notifier = notifier.clone();
        self.intake = Intake::new(config);
        Ok(notifier)
    }

    pub fn notifier(&self) -> Arc<Notifier> {
        self.notifier.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Makes everything recorded so far durable; call before acknowledging.
    pub fn make_durable(&mut self) -> Result<(), PipelineError> {
        Ok(self.store.make_durable()?)
    }

    /// Records one mail from `source` and everything it causes, in one
    /// transaction. An error means nothing was written. The commit survives
    /// a crash of the process; call [`Pipeline::make_durable`] before
    /// acknowledging the mail to its source.
    pub fn process(&mut self, source: &str, key: &str, raw: &[u8]) -> Result<Processed, PipelineError> {
        if self.store.source_key_known(source, key)? {
            tracing::info!(source, key, "already recorded; acknowledging only");
            return Ok(Processed::AlreadyRecorded);
        }
        self.record(source, key, raw, None).map(Processed::Recorded)
    }

    /// What [`Pipeline::process`] would do with a mail, without writing
    /// anything (`run --dry-run`): None if the source already handed it over.
    pub fn decide_only(
        &self,
        source: &str,
        key: &str,
        raw: &[u8],
    ) -> Result<Option<(Option<InboundMail>, Decision)>, PipelineError> {
        if self.store.source_key_known(source, key)? {
            return Ok(None);
        }
        let max = self.intake.config().limits.max_message_bytes;
        if raw.len() as u64 > max {
            let reason = format!("message is {} bytes, over limits.max_message_bytes ({max})", raw.len());
            return Ok(Some((None, Decision::Refuse { reason })));
        }
        Ok(Some(self.read_and_decide(raw, false)))
    }

    /// Closes the tickets whose solution waited `tickets.auto_close_days`
    /// without an answer (none when it is 0), notifying the people concerned.
    pub fn close_unanswered_solutions(&mut self) -> Result<Vec<TicketId>, PipelineError> {
        let days = self.intake.config().tickets.auto_close_days;
        if days == 0 {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let cutoff = crate::clock::rfc3339(now - std::time::Duration::from_secs(u64::from(days) * 86_400));
        let closed = self.store.close_unanswered_solutions(&cutoff, &crate::clock::rfc3339(now), &self.notifier)?;
        for ticket in &closed {
            tracing::info!(ticket, days, "closed: the solution had no answer");
        }
        Ok(closed)
    }

    /// Queues the day's digest of open tickets once the local time has
    /// passed `notifications.digest_at` (never when it is not set), unless
    /// it was queued already that day; returns the digests queued.
    pub fn queue_digests(&mut self) -> Result<Vec<QueuedDigest>, PipelineError> {
        let Some(at) = self.intake.config().notifications.digest_at else {
            return Ok(Vec::new());
        };
        let local_now = self.clock.local_now();
        if !crate::notify::digest::is_due(local_now, at) {
            return Ok(Vec::new());
        }
        let queued = self.store.queue_digests(local_now, &self.notifier)?;
        if !queued.is_empty() {
            let tickets: usize = queued.iter().map(|d| d.tickets.len()).sum();
            tracing::info!(digests = queued.len(), tickets, "daily digests queued");
        }
        Ok(queued)
    }

    /// Runs a stored mail through the pipeline again, after a configuration
    /// change. Only mails that were refused or ignored can be replayed: one
    /// that made a ticket or followup would make it twice.
    pub fn replay(&mut self, message_row: i64) -> Result<Applied, PipelineError> {
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
        let key = format!("replay-of-{message_row}");
        self.record(&record.source, &key, &raw, Some(message_row))
    }

    fn record(
        &mut self,
        source: &str,
        key: &str,
        raw: &[u8],
        replay_of: Option<i64>,
    ) -> Result<Applied, PipelineError> {
        let started = Instant::now();
        let at = self.clock.now_rfc3339();
        let received = Received { source, key, raw, at: &at, replay_of };
        let max = self.intake.config().limits.max_message_bytes;
        let (mail, decision) = if raw.len() as u64 > max {
            let reason = format!("message is {} bytes, over limits.max_message_bytes ({max})", raw.len());
            (None, Decision::Refuse { reason })
        } else {
            self.read_and_decide(raw, replay_of.is_some())
        };
        let applied = self.store.apply(&received, mail.as_ref(), &decision, &self.notifier)?;
        tracing::info!(
            source,
            message_id = mail.as_ref().map(|m| m.message_id.as_str()).unwrap_or("-"),
            sender = mail.as_ref().and_then(|m| m.from.as_ref()).map(|f| f.address.as_str()).unwrap_or("-"),
            outcome = applied.outcome.as_str(),
            ticket = applied.ticket,
            reason = applied.reason.as_deref().unwrap_or(""),
            notifications = applied.notifications,
            duration_ms = started.elapsed().as_millis() as u64,
            "message processed"
        );
        Ok(applied)
    }

    /// Parses and decides; a panic in either (a parser bug meeting a hostile
    /// mail) becomes a recorded refusal instead of a dead daemon.
    fn read_and_decide(&self, raw: &[u8], replay: bool) -> (Option<InboundMail>, Decision) {
        let outcome = catch_unwind(AssertUnwindSafe(|| match parse(raw) {
            Ok(mail) => {
                let decision = if replay {
                    self.intake.decide(&mail, &Replay(&self.store))
                } else {
                    self.intake.decide(&mail, &self.store)
                };
                (Some(mail), decision)
            }
            Err(e) => (None, Decision::Refuse { reason: format!("unparseable: {e}") }),
        }));
        outcome.unwrap_or_else(|_| {
            (
                None,
                Decision::Refuse {
                    reason: "internal error while reading this mail; its raw copy is kept (please report it)".into(),
                },
            )
        })
    }
}

/// The store seen by a replay: the mail's own earlier record is not a copy.
struct Replay<'a>(&'a Store);

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
