//! Reading a mail, the costly half of its way through, done outside the
//! writer: the size limit, then the headers, then — only when the sender
//! policy and the robot guard let the mail through — its body. Nothing here
//! touches the store, so the daemon reads mails in parallel with the
//! writer's commits, each under a work budget (see `daemon::writer`), and a
//! mail whose content is slow to read cannot delay anything else. A panic
//! (a parser bug meeting a hostile mail) becomes a refusal with a reason.
//! DKIM signatures are verified here too, when `[trust]` asks for it: their
//! key lookups wait on DNS, which the writer must never do.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::intake::Intake;
use crate::mail::{InboundMail, parse};
use crate::source::{OVERSIZED_HEAD_BYTES, RawMessage};

/// What reading made of a mail.
#[derive(Debug, Clone)]
pub enum Read {
    Mail(Box<InboundMail>),
    /// Not readable as a mail, over a limit, or over its work budget: it
    /// is recorded as refused with this reason and its raw copy.
    Refused(String),
}

/// The reason recorded for a mail over the size limit.
pub fn over_size_limit(size: u64, max: u64) -> String {
    format!("message is {size} bytes, over limits.max_message_bytes ({max}); its first bytes are kept")
}

/// The reason recorded for a mail whose reading went past its budget.
pub fn over_budget(seconds: u64) -> String {
    format!(
        "reading this mail took longer than limits.max_read_seconds ({seconds} s); its raw copy is kept and nothing else was done with it"
    )
}

/// Reads `message` under `intake`'s configuration. Cheap checks first: a
/// mail over `limits.max_message_bytes` is not parsed at all, and a mail
/// the screen refuses or ignores is parsed to its headers only.
pub fn read(intake: &Intake, message: &RawMessage) -> Read {
    read_with(intake, message, true)
}

/// Reads `message` whole, body included whatever the screen says.
pub fn read_whole(intake: &Intake, message: &RawMessage) -> Read {
    read_with(intake, message, false)
}

fn read_with(intake: &Intake, message: &RawMessage, screened: bool) -> Read {
    crate::fault::stall("stall-read", &message.key);
    let max = intake.config().limits.max_message_bytes;
    let size = message.oversized.unwrap_or(message.bytes.len() as u64);
    if message.oversized.is_some() || size > max {
        return Read::Refused(over_size_limit(size, max));
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut mail = parse::parse_screened(&message.bytes, |m| !screened || intake.screen(m).is_none())?;
        // Only a mail that will be decided is worth its key lookups.
        if let Some(verifier) = intake.dkim().filter(|_| mail.body_read) {
            mail.dkim = Some(verifier.verify(&message.bytes));
        }
        Ok::<_, parse::ParseError>(mail)
    }));
    match outcome {
        Ok(Ok(mail)) => Read::Mail(Box::new(mail)),
        Ok(Err(e)) => Read::Refused(format!("unparseable: {e}")),
        Err(_) => {
            Read::Refused("internal error while reading this mail; its raw copy is kept (please report it)".into())
        }
    }
}

/// What is kept as the raw copy of a mail: all of it, but for a mail over
/// the size limit, of which only the head is kept (a 300 MB mail piped to
/// `ingest` must not become a 300 MB row).
pub fn raw_copy(message: &RawMessage, max: u64) -> &[u8] {
    if message.oversized.is_some() || message.bytes.len() as u64 > max {
        &message.bytes[..message.bytes.len().min(OVERSIZED_HEAD_BYTES)]
    } else {
        &message.bytes
    }
}
