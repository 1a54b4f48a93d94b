//! The transport seam: one small trait, [`Transport::send`], that takes one
//! finished message. The file transport (lettre's) writes `.eml` files and
//! is both the embedded default and the test transport; SMTP plugs in here.
//! Errors say whether a retry can help, which is all the outbox needs.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

use crate::store::OutboxRow;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TransportError {
    /// Worth retrying later: a full disk, a server that is down.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Retrying cannot help: a malformed address, a 5xx refusal.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl TransportError {
    pub fn is_transient(&self) -> bool {
        matches!(self, TransportError::Temporary(_))
    }
}

/// Where a sent message went, for the outbox record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub location: Option<String>,
}

pub trait Transport: Send + Sync {
    fn send(&self, message: Message) -> impl Future<Output = Result<Delivery, TransportError>> + Send;
}

/// lettre's file transport: each message becomes `<uuid>.eml` in a folder.
pub struct FileTransport {
    dir: PathBuf,
    inner: AsyncFileTransport<Tokio1Executor>,
}

impl FileTransport {
    pub fn new(dir: &Path) -> Result<FileTransport, TransportError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            TransportError::Temporary(format!("cannot create notifications.dir {}: {e}", dir.display()))
        })?;
        Ok(FileTransport { dir: dir.to_path_buf(), inner: AsyncFileTransport::new(dir) })
    }
}

impl Transport for FileTransport {
    async fn send(&self, message: Message) -> Result<Delivery, TransportError> {
        let id = self
            .inner
            .send(message)
            .await
            .map_err(|e| TransportError::Temporary(format!("cannot write to {}: {e}", self.dir.display())))?;
        Ok(Delivery { location: Some(self.dir.join(format!("{id}.eml")).display().to_string()) })
    }
}

/// The configured transport.
pub enum AnyTransport {
    File(FileTransport),
}

impl Transport for AnyTransport {
    async fn send(&self, message: Message) -> Result<Delivery, TransportError> {
        match self {
            AnyTransport::File(t) => t.send(message).await,
        }
    }
}

/// Builds the mail for an outbox row. Replies come back to the support
/// mailbox; `Auto-Submitted` and `X-Auto-Response-Suppress` ask other robots
/// not to answer, which is half of never looping.
pub fn build_message(row: &OutboxRow, html: String, from: &Mailbox) -> Result<Message, TransportError> {
    let to: Mailbox = row.recipient.parse().map_err(|e| {
        TransportError::Permanent(format!("recipient \"{}\" is not a valid address: {e}", row.recipient))
    })?;
    let date = time::OffsetDateTime::parse(&row.created_at, &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .unwrap_or_else(|_| SystemTime::now());
    let mut builder = Message::builder()
        .from(from.clone())
        .reply_to(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .date(date)
        .message_id(Some(format!("<{}>", row.message_id)));
    if let Some(parent) = &row.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !row.references.is_empty() {
        let refs: Vec<String> = row.references.iter().map(|r| format!("<{r}>")).collect();
        builder = builder.references(refs.join(" "));
    }
    for (name, value) in [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All")] {
        let name = HeaderName::new_from_ascii(name.to_string())
            .map_err(|e| TransportError::Permanent(format!("header name {name}: {e}")))?;
        builder = builder.raw_header(HeaderValue::new(name, value.to_string()));
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(row.body_text.clone()))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
        )
        .map_err(|e| TransportError::Permanent(format!("cannot build notification {}: {e}", row.id)))
}
