//! `mailgate run --dry-run`: for trying a new configuration on a live
//! mailbox. Each source's first batch is fetched without changing anything
//! (IMAP EXAMINE and BODY.PEEK, no folder created; Maildir files left in
//! new/), each mail is parsed and decided against the database opened read
//! only, and the decisions are returned and logged. Nothing is recorded,
//! acknowledged or sent.

use std::sync::Arc;

use super::DaemonError;
use crate::clock::Clock;
use crate::config::Config;
use crate::intake::Decision;
use crate::pipeline::Pipeline;
use crate::source::any::AnySource;
use crate::source::{RawMessage, Source};
use crate::store::Store;

/// What one mail would become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub source: String,
    pub key: String,
    pub from: String,
    pub subject: String,
    /// "ticket_created", "followup_added #12", "refused: …", "already recorded"…
    pub outcome: String,
}

pub async fn dry_run(config: Arc<Config>, clock: Arc<dyn Clock>) -> Result<Vec<Verdict>, DaemonError> {
    let store = if config.database_path.exists() {
        Store::open_read_only(&config.database_path)?
    } else {
        tracing::warn!(path = %config.database_path.display(), "no database yet: deciding as for an empty one");
        Store::open_in_memory()?
    };
    let pipeline = Pipeline::new(store, config.clone(), clock)?;
    let mut verdicts = Vec::new();
    for source in &config.sources {
        let database = config.database_path.exists().then_some(config.database_path.as_path());
        let mut reader = AnySource::read_only(source, config.limits.max_message_bytes, database)?;
        let batch = reader.fetch().await?;
        reader.close().await;
        for mail in batch {
            let verdict = judge(&pipeline, source.name(), mail)?;
            tracing::info!(
                source = %verdict.source, key = %verdict.key, sender = %verdict.from, outcome = %verdict.outcome,
                "dry run: would be"
            );
            verdicts.push(verdict);
        }
    }
    Ok(verdicts)
}

fn judge(pipeline: &Pipeline, source: &str, raw: RawMessage) -> Result<Verdict, DaemonError> {
    if let Some(size) = raw.oversized {
        // Only its head was read: it is refused on its size, unparsed.
        let outcome = format!("refused: message is {size} bytes, over limits.max_message_bytes");
        return Ok(Verdict {
            source: source.to_string(),
            key: raw.key,
            from: String::new(),
            subject: String::new(),
            outcome,
        });
    }
    let decided = pipeline.decide_only(source, &raw.key, &raw.bytes)?;
    let (mail, outcome) = match decided {
        None => (None, "already recorded (would only be acknowledged)".to_string()),
        Some((mail, decision)) => {
            let outcome = match &decision {
                Decision::NewTicket { .. } => "ticket_created".to_string(),
                Decision::Followup { ticket, plan, .. } if plan.changes.is_empty() => {
                    format!("followup_added on #{ticket}")
                }
                Decision::Followup { ticket, plan, .. } => {
                    format!("followup_added on #{ticket} with {} change(s)", plan.changes.len())
                }
                Decision::AutoReply { ticket, reply, .. } => format!("answered on #{ticket}: {reply:?}"),
                Decision::Refuse { reason } | Decision::Quarantine { reason } => format!("refused: {reason}"),
                Decision::Decline { reason, to, .. } => format!("refused, {} told why: {reason}", to.address),
                Decision::Ignore { reason } => format!("ignored: {reason}"),
                Decision::Duplicate { of } => format!("duplicate of message {of}"),
            };
            (mail, outcome)
        }
    };
    Ok(Verdict {
        source: source.to_string(),
        key: raw.key,
        from: mail.as_ref().and_then(|m| m.from.as_ref()).map(|f| f.address.clone()).unwrap_or_default(),
        subject: mail.as_ref().map(|m| m.subject.clone()).unwrap_or_default(),
        outcome,
    })
}
