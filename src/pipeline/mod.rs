//! One mail's way through mailgate: read (outside the writer, see
//! [`read`]), then decide and apply in one write transaction, so that two
//! processes delivering the same mail at once cannot both find it new. Any
//! panic from a hostile mail is contained and recorded as a refusal. The
//! [`Pipeline`] owns the one writer connection; sources hand it mails and
//! acknowledge what it returns.

pub mod read;
mod replay;
use replay::{Replay, Replayed};

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

pub use read::Read;

use crate::clock::Clock;
use crate::config::Config;
use crate::desk::{self, Act, ActError, Acted, Applied, QueuedDigest};
use crate::intake::{Decision, Intake, loop_guard, trust};
use crate::mail::{InboundMail, Mailbox};
use crate::news::Notification;
use crate::notify::link_mail::LinkKind;
use crate::notify::{Notifier, TemplateError};
use crate::source::RawMessage;
use crate::store::{Received, Store, StoreError};
use crate::ticket::{Door, TicketId};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The mail was not recorded and must stay in its source for a retry.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
    /// An action refused (no such ticket, not allowed, commands not
    /// obeyed); nothing was written.
    #[error(transparent)]
    Act(ActError),
    /// A notification to an address mailgate does not write to.
    #[error("notification not queued: {0}")]
    NotQueued(String),
}

impl From<ActError> for PipelineError {
    fn from(e: ActError) -> Self {
        match e {
            ActError::Store(e) => PipelineError::Store(e),
            other => PipelineError::Act(other),
        }
    }
}

impl PipelineError {
    pub fn is_transient(&self) -> bool {
        match self {
            PipelineError::Store(e) => e.is_transient(),
            PipelineError::Templates(_) | PipelineError::Act(_) | PipelineError::NotQueued(_) => false,
        }
    }
}

/// What became of a mail handed to [`Pipeline::process`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    Recorded(Applied),
    /// The source had already handed it over and it was recorded as this
    /// outcome; only the acknowledgment had been lost (a crash between
    /// commit and ack), and it is acknowledged as what it was recorded.
    AlreadyRecorded(crate::intake::Outcome),
}

pub struct Pipeline {
    store: Store,
    intake: Arc<Intake>,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
}

impl Pipeline {
    pub fn new(mut store: Store, config: Arc<Config>, clock: Arc<dyn Clock>) -> Result<Pipeline, PipelineError> {
        let notifier = Arc::new(Notifier::new(&config)?);
        if let Some(first) = config.tickets.first_number {
            store.ensure_first_number(first)?;
        }
        Ok(Pipeline { store, intake: Arc::new(Intake::new(config)), notifier, clock })
    }

    /// Takes a new configuration's rules and templates (SIGHUP). Templates
    /// are read and checked first: a broken one leaves everything as it was.
    pub fn reload(&mut self, config: Arc<Config>) -> Result<Arc<Notifier>, PipelineError> {
        let notifier = Arc::new(Notifier::new(&config)?);
        if let Some(first) = config.tickets.first_number {
            self.store.ensure_first_number(first)?;
        }
        self.notifier = notifier.clone();
        self.intake = Arc::new(Intake::new(config));
        Ok(notifier)
    }

    /// The rules in force, for reading mails outside the writer.
    pub fn intake(&self) -> Arc<Intake> {
        self.intake.clone()
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

    /// Checkpoints the write-ahead log; see [`Store::checkpoint`].
    pub fn checkpoint(&mut self) -> Result<(), PipelineError> {
        Ok(self.store.checkpoint()?)
    }

    /// Makes everything recorded so far durable; call before acknowledging.
    pub fn make_durable(&mut self) -> Result<(), PipelineError> {
        Ok(self.store.make_durable()?)
    }

    /// Reads, decides and records one mail from `source` and everything it
    /// causes, in one transaction; see [`Pipeline::apply_read`].
    pub fn process(&mut self, source: &str, key: &str, raw: &[u8]) -> Result<Processed, PipelineError> {
        let message = RawMessage::new(key.to_string(), raw.to_vec());
        let read = read::read(&self.intake, &message);
        self.apply_read(source, &message, read)
    }

    /// Decides and records a mail already read, in one transaction begun
    /// before anything is looked up: the check for an earlier copy and the
    /// record are atomic, whoever else writes to the database. An error
    /// means nothing was written. The commit survives a crash of the
    /// process; call [`Pipeline::make_durable`] before acknowledging the
    /// mail to its source.
    pub fn apply_read(&mut self, source: &str, message: &RawMessage, read: Read) -> Result<Processed, PipelineError> {
        self.store.begin()?;
        let result = match self.store.recorded_outcome(source, &message.key) {
            Ok(Some(outcome)) => {
                tracing::info!(source, key = %message.key, outcome = outcome.as_str(), "already recorded; acknowledging only");
                Ok(Processed::AlreadyRecorded(outcome))
            }
            Ok(None) => self.record(source, message, read, None).map(Processed::Recorded),
            Err(e) => Err(e.into()),
        };
        self.store.finish(result.is_ok())?;
        result
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
        let message = RawMessage::new(key.to_string(), raw.to_vec());
        Ok(Some(self.decide(&message, read::read(&self.intake, &message), None)))
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
        let closed = desk::close_unanswered(&mut self.store, &cutoff, &crate::clock::rfc3339(now), &self.notifier)?;
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
        let queued = desk::queue_digests(&mut self.store, local_now, &self.notifier)?;
        if !queued.is_empty() {
            let tickets: usize = queued.iter().map(|d| d.tickets.len()).sum();
            tracing::info!(digests = queued.len(), tickets, "daily digests queued");
        }
        Ok(queued)
    }

    /// Applies an action that did not come by mail (a web page's button or
    /// form), through the same functions as the matching mail
    /// ([`desk::act`]), in one transaction made durable before returning.
    pub fn act(&mut self, act: &Act) -> Result<Acted, PipelineError> {
        let at = self.clock.now_rfc3339();
        let (intake, notifier) = (self.intake.clone(), self.notifier.clone());
        let acted = self.store.write(act.door, |tx| desk::act::run(tx, act, intake.config(), &notifier, &at))?;
        self.store.make_durable()?;
        tracing::info!(
            ticket = acted.ticket,
            door = act.door.as_str(),
            notifications = acted.notifications,
            "action applied"
        );
        Ok(acted)
    }

    /// Queues a notification composed elsewhere (a personal link sent to an
    /// address), made durable before returning; only to a plain address.
    /// Returns its outbox row.
    pub fn queue_notification(&mut self, notification: &Notification) -> Result<i64, PipelineError> {
        let (kept, _) = desk::effects::deliverable(vec![notification.clone()]);
        if kept.is_empty() {
            return Err(PipelineError::NotQueued(format!(
                "its recipient {:?} is not a plain address",
                crate::text::one_line(&notification.recipient, 80)
            )));
        }
        let at = self.clock.now_rfc3339();
        let row = self.store.write(Door::Web, |tx| tx.queue_notification(notification, &at))?;
        self.store.make_durable()?;
        Ok(row)
    }

    /// Mails `url`, a personal link of `kind` asked for on the web, to `to`
    /// (composed by the current notifier, queued like
    /// [`Pipeline::queue_notification`]).
    pub fn queue_link(
        &mut self,
        to: &Mailbox,
        url: &str,
        kind: LinkKind,
        valid_for: &str,
    ) -> Result<i64, PipelineError> {
        let at = self.clock.now_rfc3339();
        let mail = self.notifier.link_mail(to, url, kind, valid_for, &at);
        self.queue_notification(&mail)
    }

    fn record(
        &mut self,
        source: &str,
        message: &RawMessage,
        read: Read,
        replay: Option<Replayed>,
    ) -> Result<Applied, PipelineError> {
        let started = Instant::now();
        let at = self.clock.now_rfc3339();
        let max = self.intake.config().limits.max_message_bytes;
        let (mail, decision) = self.decide(message, read, replay);
        let decision = self.loop_guard(mail.as_ref(), decision, replay.is_some())?;
        let verdict = mail.as_ref().and_then(|m| trust::verdict(m, &self.intake.config().trust));
        let received = Received {
            source,
            key: &message.key,
            raw: read::raw_copy(message, max),
            size: message.oversized.unwrap_or(message.bytes.len() as u64),
            at: &at,
            replay_of: replay.map(|r| r.of),
            trust: verdict.as_ref(),
        };
        let applied = desk::record_mail(&mut self.store, &received, mail.as_ref(), &decision, &self.notifier)?;
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

    /// The inbound loop guard ([`crate::intake::loop_guard`]): an outside
    /// sender with too many answered mails this hour is recorded, not
    /// answered. An operator's replay is never held.
    fn loop_guard(&self, mail: Option<&InboundMail>, decision: Decision, replay: bool) -> Result<Decision, StoreError> {
        let config = self.intake.config();
        let sender = mail.and_then(|m| m.from.as_ref()).map(|f| f.address.as_str());
        let Some(sender) = sender
            .filter(|_| !replay && config.intake.max_mails_per_sender_per_hour > 0 && loop_guard::answers(&decision))
        else {
            return Ok(decision);
        };
        let since = crate::clock::rfc3339(self.clock.now() - std::time::Duration::from_secs(3600));
        let count = self.store.answered_from_since(sender, &since)?;
        let decision = loop_guard::guard(decision, Some(sender), count, config);
        if !loop_guard::answers(&decision) {
            tracing::warn!(sender, count, "mail recorded but not answered: the sender is over the inbound loop guard");
        }
        Ok(decision)
    }

    /// Decides what to do with a mail read by [`read::read`]; a panic (a
    /// rule meeting a mail nobody foresaw) becomes a recorded refusal.
    fn decide(&self, message: &RawMessage, read: Read, replay: Option<Replayed>) -> (Option<InboundMail>, Decision) {
        let mut mail = match read {
            Read::Refused(reason) => return (None, Decision::Refuse { reason }),
            Read::Mail(mail) => mail,
        };
        // Read under a configuration that screened the mail out, decided
        // under one (reloaded since) that lets it through: read it whole.
        if !mail.body_read && self.intake.screen(&mail).is_none() {
            match read::read_whole(&self.intake, message) {
                Read::Mail(whole) => mail = whole,
                Read::Refused(reason) => return (None, Decision::Refuse { reason }),
            }
        }
        let decision = catch_unwind(AssertUnwindSafe(|| match replay {
            Some(r) => self.intake.decide_with(&mail, &Replay(&self.store), r.released),
            None => self.intake.decide(&mail, &self.store),
        }));
        match decision {
            Ok(decision) => (Some(*mail), decision),
            Err(_) => (
                None,
                Decision::Refuse {
                    reason: "internal error while deciding about this mail; its raw copy is kept (please report it)"
                        .into(),
                },
            ),
        }
    }
}
