//! The transport seam: one small trait, [`Transport::send`], that takes one
//! finished message. The file transport (lettre's) writes `.eml` files and
//! is the embedded default; [`super::smtp`] is the one for production.
//! Errors say whether a retry can help, which is all the outbox needs.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use lettre::Address;
use lettre::message::header::{ContentDisposition, ContentId, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

use super::bounds;
use crate::store::OutboxRow;
use crate::store::notification_files::OutgoingFile;

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

    /// The longest one send may take, from the outbox's claim of the row to
    /// the record of its result: the row's lease. Past it, another sender
    /// may take the row, so it must cover the transport's own timeout.
    fn lease(&self) -> Duration {
        DEFAULT_LEASE
    }
}

/// A send's lease when the transport does not say: writing a file.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// Added to a transport's timeout in its lease: building the message and
/// recording the result.
pub const LEASE_MARGIN: Duration = Duration::from_secs(5);

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

    fn lease(&self) -> Duration {
        match self {
            AnyTransport::File(t) => t.lease(),
            AnyTransport::Smtp(t) => t.lease(),
        }
    }
}

/// Builds the mail for an outbox row. Replies come back to the support
/// mailbox; `Auto-Submitted` and `X-Auto-Response-Suppress` ask other robots
/// not to answer, which is half of never looping.
///
/// Linear in the size of the row: lettre turns a body's bare `\n` into
/// CRLF by inserting one `\r` at a time (O(lines × size): 38 s for 1 MB of
/// short lines), so bodies are handed over already in CRLF, which lettre
/// leaves as they are. Every header is checked here, the last guard before
/// the wire, whatever the row holds (rows queued by an older mailgate
/// included): the subject on one bounded line, the recipient a bare
/// address, and only well-formed Message-IDs in In-Reply-To/References.
pub fn build_message(row: &OutboxRow, html: String, from: &Mailbox) -> Result<Message, TransportError> {
    build_message_with_files(row, html, from, Vec::new())
}

/// [`build_message`] with the files the row carries (read from the store by
/// [`crate::store::notification_files::FileReader`]): the text and HTML
/// alternatives first, then each file, an inline one (an image an HTML mail
/// showed in its text) as an inline part with its Content-ID, the others
/// as attachments. Each file is encoded once (base64, linear).
pub fn build_message_with_files(
    row: &OutboxRow,
    html: String,
    from: &Mailbox,
    files: Vec<OutgoingFile>,
) -> Result<Message, TransportError> {
    let address: Address = row.recipient.parse().map_err(|e| {
        TransportError::Permanent(format!("recipient \"{}\" is not a valid address: {e}", row.recipient))
    })?;
    let date = time::OffsetDateTime::parse(&row.created_at, &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .unwrap_or_else(|_| SystemTime::now());
    let mut builder = Message::builder()
        .from(from.clone())
        .reply_to(from.clone())
        .to(Mailbox::new(None, address))
        .subject(bounds::one_line(&row.subject, MAX_SUBJECT_CHARS))
        .date(date)
        .message_id(Some(format!("<{}>", row.message_id)));
    if let Some(parent) = row.in_reply_to.as_deref().and_then(bounds::message_id) {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    let refs: Vec<String> = row
        .references
        .iter()
        .filter_map(|r| bounds::message_id(r))
        .take(MAX_REFERENCES)
        .map(|r| format!("<{r}>"))
        .collect();
    if !refs.is_empty() {
        builder = builder.references(refs.join(" "));
    }
    for (name, value) in [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All")] {
        let name = HeaderName::new_from_ascii(name.to_string())
            .map_err(|e| TransportError::Permanent(format!("header name {name}: {e}")))?;
        builder = builder.raw_header(HeaderValue::new(name, value.to_string()));
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(crlf(&row.body_text)))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(crlf(&html)));
    let body = if files.is_empty() {
        alternative
    } else {
        files
            .into_iter()
            .fold(MultiPart::mixed().multipart(alternative), |mixed, file| mixed.singlepart(file_part(file)))
    };
    builder.multipart(body).map_err(|e| TransportError::Permanent(format!("cannot build notification {}: {e}", row.id)))
}

/// One stored file as a MIME part. Its name and type were made safe when
/// the mail was read; a type lettre cannot write is sent as
/// `application/octet-stream`.
fn file_part(file: OutgoingFile) -> SinglePart {
    let content_type = ContentType::parse(&file.content_type)
        .unwrap_or_else(|_| ContentType::parse("application/octet-stream").expect("static type"));
    let name = bounds::one_line(&file.filename, 200);
    let mut part = SinglePart::builder().header(content_type);
    part = if file.inline {
        part.header(ContentDisposition::inline_with_name(&name))
    } else {
        part.header(ContentDisposition::attachment(&name))
    };
    if let Some(id) = file.content_id.as_deref().filter(|_| file.inline).and_then(bounds::content_id) {
        part = part.header(ContentId::from(format!("<{id}>")));
    }
    part.body(Body::new(file.bytes))
}

/// Builds a row's mail with the files it carries, read at send time: only
/// the messages in flight hold files in memory. A file that cannot be read
/// now (the database busy) is a temporary failure: the row is tried again.
pub fn with_files(
    row: &OutboxRow,
    files: &crate::store::notification_files::FileReader,
    html: String,
    from: &Mailbox,
) -> Result<Message, TransportError> {
    let carried = files
        .files(row.id)
        .map_err(|e| TransportError::Temporary(format!("cannot read the files of notification {}: {e}", row.id)))?;
    build_message_with_files(row, html, from, carried)
}

/// A subject line: the title in it is already bounded when composed; this
/// bounds what an older row may hold.
const MAX_SUBJECT_CHARS: usize = 400;

/// mailgate writes two references (the request's and the ticket's root).
const MAX_REFERENCES: usize = 8;

/// `text` with every line ending CRLF (a bare `\n`, a bare `\r` or a CRLF
/// each become one CRLF), in one pass.
pub fn crlf(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let ending = match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
            b'\r' | b'\n' => 1,
            _ => 0,
        };
        if ending == 0 {
            i += 1;
            continue;
        }
        // \r and \n are ASCII: slicing next to them is on a character boundary.
        out.push_str(&text[start..i]);
        out.push_str("\r\n");
        i += ending;
        start = i;
    }
    out.push_str(&text[start..]);
    out
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
            lease_until: None,
            personal_link: false,
        }
    }

    fn headers(subject: &str) -> Vec<String> {
        headers_of(&row(subject))
    }

    fn headers_of(row: &OutboxRow) -> Vec<String> {
        let from: Mailbox = "Support <support-informatique@ac-exemple.fr>".parse().expect("mailbox");
        let message = build_message(row, "<p>Bonjour</p>".into(), &from).expect("built");
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

    #[test]
    fn every_line_ending_becomes_one_crlf() {
        let table = [
            ("", ""),
            ("a", "a"),
            ("a\nb", "a\r\nb"),
            ("a\r\nb", "a\r\nb"),
            ("a\rb", "a\r\nb"),
            ("\n\n", "\r\n\r\n"),
            ("é\nà\r\n", "é\r\nà\r\n"),
            ("\r\r\n\n", "\r\n\r\n\r\n"),
        ];
        for (text, expected) in table {
            assert_eq!(crlf(text), expected, "{text:?}");
        }
    }

    #[test]
    fn a_malformed_or_huge_message_id_stored_in_a_row_is_not_echoed() {
        let mut bad = row("[GLPI #0000007] Imprimante");
        bad.in_reply_to = Some("x@y>\r\nBcc: everyone@ac-exemple.fr".into());
        bad.references = vec!["a".repeat(10 << 20) + "@ac-exemple.fr", "mailgate.7@ac-exemple.fr".into()];
        let lines = headers_of(&bad);
        assert!(!lines.iter().any(|l| l.starts_with("In-Reply-To:") || l.starts_with("Bcc:")), "{lines:#?}");
        assert!(lines.iter().any(|l| l == "References: <mailgate.7@ac-exemple.fr>"), "{lines:#?}");
        assert!(lines.iter().all(|l| l.len() < 1000), "no header line is long");
    }

    #[test]
    fn a_recipient_is_a_bare_address_or_the_row_fails() {
        for recipient in ["Evil\r\nBcc: x@y <marie@ac-exemple.fr>", "Marie <marie@ac-exemple.fr>", "marie"] {
            let mut bad = row("[GLPI #0000007] Imprimante");
            bad.recipient = recipient.into();
            let from: Mailbox = "Support <support-informatique@ac-exemple.fr>".parse().expect("mailbox");
            let built = build_message(&bad, String::new(), &from);
            assert!(matches!(built, Err(TransportError::Permanent(_))), "{recipient:?}");
        }
    }
}
