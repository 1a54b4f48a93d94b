//! The staff pages' writes that are not a ticket's life cycle, done by the
//! single writer: sign-in links and sessions (web-auth bookkeeping), and
//! the operators' replay and outbox retries. They go through the writer
//! rather than a second write connection so that SQLite's one write lock
//! is only ever taken by one thread: a web sign-in can never make a mail
//! batch wait on `busy_timeout`, nor the reverse. They are rare (a page
//! view only reads its session, and prolongs it through here at most every
//! few minutes), so they cost intake nothing measurable. Each is made
//! durable before it answers, like a web action.

use super::writer::{DeskHandle, WriterError};
use crate::pipeline::{Pipeline, PipelineError};
use crate::store::SessionOrigin;
use crate::web::desk::{StaffWrite, StaffWritten};

impl DeskHandle {
    /// Does `write` in the writer thread.
    pub async fn staff_write(&self, write: StaffWrite) -> Result<StaffWritten, WriterError> {
        let wakes = |done: &StaffWritten| {
            matches!(done, StaffWritten::Count(n) if *n > 0) || matches!(done, StaffWritten::Note(_))
        };
        self.staff(move |pipeline| run(pipeline, write), wakes).await
    }
}

fn run(pipeline: &mut Pipeline, write: StaffWrite) -> Result<StaffWritten, PipelineError> {
    let store = pipeline.store_mut();
    let done = match write {
        StaffWrite::SigninToken { token_hash, email, now, expires_at, max_pending } => {
            // Counted and recorded in one job of the one writer: two forms
            // posted at once cannot both pass the limit.
            if store.pending_signin_links(&email, &now)? >= max_pending {
                StaffWritten::Sent(false)
            } else {
                store.insert_signin_token(&token_hash, &email, &now, &expires_at)?;
                StaffWritten::Sent(true)
            }
        }
        StaffWrite::SignIn { token_hash, session_hash, now, idle_until, absolute_until } => {
            match store.consume_signin_token(&token_hash, &now)? {
                Some(email) => {
                    store.create_session(
                        &session_hash,
                        &email,
                        SessionOrigin::Link,
                        &now,
                        &idle_until,
                        &absolute_until,
                    )?;
                    StaffWritten::Email(Some(email))
                }
                None => StaffWritten::Email(None),
            }
        }
        StaffWrite::ProxySession { session_hash, email, now, idle_until, absolute_until } => {
            store.create_session(&session_hash, &email, SessionOrigin::Proxy, &now, &idle_until, &absolute_until)?;
            StaffWritten::Done
        }
        StaffWrite::Touch { session_hash, now, idle_until } => {
            StaffWritten::Session(store.touch_session(&session_hash, &now, &idle_until)?)
        }
        StaffWrite::SignOut { session_hash } => {
            store.delete_session(&session_hash)?;
            StaffWritten::Done
        }
        StaffWrite::Replay { message_row } => {
            let applied = pipeline.replay(message_row)?;
            StaffWritten::Note(format!(
                "{} {}{}",
                applied.message_row,
                applied.outcome.as_str(),
                applied.ticket.map(|t| format!(" #{t}")).unwrap_or_default()
            ))
        }
        StaffWrite::RetryOutbox { id, now } => StaffWritten::Count(usize::from(store.requeue(id, &now)?)),
        StaffWrite::ReleaseHeld { now } => StaffWritten::Count(store.release_held(&now)?),
        StaffWrite::RetryFailed { now } => StaffWritten::Count(store.requeue_failed(&now)?),
    };
    pipeline.make_durable()?;
    Ok(done)
}
