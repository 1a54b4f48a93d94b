//! The transport seam: one small trait, [`Transport::send`], that takes one
//! finished message. The file transport (lettre's) writes `.eml` files and
//! is the embedded default; [`super::smtp`] is the one for production.
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
    Smtp(Box<super::smtp::SmtpTransport>),
}

impl Transport for AnyTransport {
    async fn send(&self, message: Message) -> Result<Delivery, TransportError> {
        match self {
            AnyTransport::File(t) => t.send(message).await,
            AnyTransport::Smtp(t) => t.send(message).await,
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
        .subject(one_line(&row.subject))
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

/// A header value on one line. Titles are cleaned when a ticket is made;
/// this is the last guard before the wire: a line break in a subject is how
/// a header gets injected.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control()).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OutboxState;

    fn row(subject: &str) -> OutboxRow {
        OutboxRow {
            id: 1,
            ticket_id: Some(7),
            event: "ticket_new".into(),
            recipient: "marie.dupont@ac-exemple.fr".into(),
            subject: subject.into(),
            state: OutboxState::Sending,
            attempts: 1,
            last_error: None,
            created_at: "2025-03-03T09:00:00Z".into(),
            sent_at: None,
            delivered_to: None,
            body_text: "Bonjour".into(),
            message_id: "mailgate.7.ticket_new.abc@ac-exemple.fr".into(),
            in_reply_to: Some("mailgate.7@ac-exemple.fr".into()),
            references: vec!["mailgate.7@ac-exemple.fr".into()],
            released: false,
        }
    }

    fn headers(subject: &str) -> Vec<String> {
        let from: Mailbox = "Support <support-informatique@ac-exemple.fr>".parse().expect("mailbox");
        let message = build_message(&row(subject), "<p>Bonjour</p>".into(), &from).expect("built");
        let text = String::from_utf8_lossy(&message.formatted()).to_string();
        let head = text.split("\r\n\r\n").next().unwrap_or_default().to_string();
        // Unfold: a continuation line belongs to the header above it.
        head.replace("\r\n ", " ").replace("\r\n\t", " ").split("\r\n").map(str::to_string).collect()
    }

    #[test]
    fn a_line_break_in_a_subject_cannot_inject_a_header() {
        let lines = headers("[GLPI #0000007] Imprimante\r\nBcc: everyone@ac-exemple.fr\nX-Evil: 1");
        assert_eq!(lines.iter().filter(|l| l.starts_with("Subject:")).count(), 1, "{lines:#?}");
        assert!(!lines.iter().any(|l| l.starts_with("Bcc:") || l.starts_with("X-Evil:")), "{lines:#?}");
    }

    #[test]
    fn a_notification_carries_the_headers_that_stop_robots_and_thread_replies() {
        let lines = headers("[GLPI #0000007] Académie | Nouveau – Imprimante");
        for expected in [
            "Reply-To: Support <support-informatique@ac-exemple.fr>",
            "Auto-Submitted: auto-generated",
            "X-Auto-Response-Suppress: All",
            "Message-ID: <mailgate.7.ticket_new.abc@ac-exemple.fr>",
            "In-Reply-To: <mailgate.7@ac-exemple.fr>",
            "References: <mailgate.7@ac-exemple.fr>",
        ] {
            assert!(lines.iter().any(|l| l == expected), "missing {expected}: {lines:#?}");
        }
        assert!(lines.iter().any(|l| l.starts_with("Date: ")), "{lines:#?}");
        assert!(!lines.iter().any(|l| l.to_ascii_lowercase().starts_with("list-")), "{lines:#?}");
    }
}
