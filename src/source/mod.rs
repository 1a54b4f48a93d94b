//! The source seam. A source yields raw mails, each with a key that is
//! stable for that source (a Maildir file name, an IMAP UID), and is told to
//! acknowledge a mail only after the store committed it. A crash between the
//! two leaves the mail in the source; the store recognises the key next time
//! and the mail is only acknowledged.
//!
//! Fetching runs one batch ahead of acknowledging (the daemon fetches batch
//! k+1 while the writer makes batch k durable), so a source remembers what
//! it handed over and not yet acknowledged — its in-flight window — and
//! never hands it over twice in one pass. [`Source::rewind`] forgets that
//! window at the start of a pass, as a reconnect does: what was not
//! acknowledged is fetched again, and the store recognises what it holds.

pub mod any;
pub mod imap;
pub mod maildir;

use std::future::Future;

use crate::intake::Outcome;

/// How much of a mail over `limits.max_message_bytes` a source reads: its
/// head, enough for the record to show who sent what, never the whole mail.
pub const OVERSIZED_HEAD_BYTES: usize = 64 * 1024;

/// One mail as a source hands it over.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub key: String,
    /// The whole mail; only its first [`OVERSIZED_HEAD_BYTES`] when
    /// `oversized` is set.
    pub bytes: Vec<u8>,
    /// The mail's real size, set when it is over `limits.max_message_bytes`
    /// and the source read only its head: the pipeline records it as
    /// refused, with that head as its raw copy, without parsing it.
    pub oversized: Option<u64>,
}

impl RawMessage {
    pub fn new(key: String, bytes: Vec<u8>) -> RawMessage {
        RawMessage { key, bytes, oversized: None }
    }

    /// A mail over the size limit, of which only `head` was read.
    pub fn oversized(key: String, mut head: Vec<u8>, size: u64) -> RawMessage {
        head.truncate(OVERSIZED_HEAD_BYTES);
        RawMessage { key, bytes: head, oversized: Some(size) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("source {source_name}: cannot read {what}: {detail}")]
    Read { source_name: String, what: String, detail: String },
    #[error("source {source_name}: cannot acknowledge {key}: {detail}")]
    Ack { source_name: String, key: String, detail: String },
    #[error("source {source_name}: {detail}")]
    Connection { source_name: String, detail: String },
    #[error("source {source_name}: {detail}")]
    Login { source_name: String, detail: String },
    #[error("source {source_name}: {detail}")]
    Config { source_name: String, detail: String },
}

impl SourceError {
    /// The kind of incident, so that a retry loop logs a new incident once
    /// and stays quiet while the same one lasts.
    pub fn incident(&self) -> &'static str {
        match self {
            SourceError::Read { .. } => "read",
            SourceError::Ack { .. } => "ack",
            SourceError::Connection { .. } => "connection",
            SourceError::Login { .. } => "login",
            SourceError::Config { .. } => "config",
        }
    }

    /// Whether trying again later may work without anyone changing
    /// anything: a server that cannot be reached or stalls, a move that
    /// failed. A refused login or a bad setting needs the operator.
    pub fn is_temporary(&self) -> bool {
        matches!(self, SourceError::Connection { .. } | SourceError::Ack { .. } | SourceError::Read { .. })
    }
}

pub trait Source: Send {
    /// The name the store records mails under; stable across restarts.
    fn name(&self) -> &str;

    /// The next batch of waiting mails, oldest first, leaving out those
    /// already fetched and not yet acknowledged; empty when none waits.
    fn fetch(&mut self) -> impl Future<Output = Result<Vec<RawMessage>, SourceError>> + Send;

    /// Marks mails as handled so they are not fetched again; called once per
    /// batch, after the store made the batch durable.
    fn ack(&mut self, handled: &[(String, Outcome)]) -> impl Future<Output = Result<(), SourceError>> + Send;

    /// Forgets the in-flight window: the next fetch starts again from the
    /// last acknowledged mail. Called at the start of each pass, so that a
    /// mail left for a retry (not acknowledged) is tried once per pass.
    fn rewind(&mut self);

    /// Returns when new mail may be waiting: an IDLE push, or the poll interval.
    fn wait(&mut self) -> impl Future<Output = Result<(), SourceError>> + Send;
}
