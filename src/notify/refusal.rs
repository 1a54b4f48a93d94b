//! The answer to a declined sender (`Decision::Decline`): a person outside
//! the institution is asked to write from their institutional address
//! (`institution.refusal_reply`), a colleague is told their file was over
//! the limit. About no ticket, like the digest; its Message-ID names none,
//! so a reply to it is a mail like any other. The once-a-day bound is the
//! desk's (`desk::record_mail`, through the store), which knows what was sent.

use serde::Serialize;

use super::bounds::{self, MAX_NAME_CHARS, MAX_TITLE_CHARS};
use super::{Notification, Notifier};
use crate::intake::RefusalNotice;
use crate::mail::Mailbox;
use crate::mail::parse::sha256_hex;
use crate::ticket::{Event, Language};

#[derive(Serialize)]
struct RefusalForTemplate {
    /// "outside" or "too_large".
    kind: &'static str,
    filename: String,
    size: String,
    limit: String,
    /// The refused mail's subject, bounded.
    subject: String,
}

impl Notifier {
    /// The refusal answer to `to`, about their mail titled `original_subject`.
    pub fn refusal(&self, to: &Mailbox, notice: &RefusalNotice, original_subject: &str, at: &str) -> Notification {
        let (kind, filename, size, limit) = match notice {
            RefusalNotice::Outside => ("outside", String::new(), String::new(), String::new()),
            RefusalNotice::TooLarge { filename, size, limit } => (
                "too_large",
                bounds::one_line(filename, MAX_NAME_CHARS),
                megabytes(*size, self.language),
                megabytes(*limit, self.language),
            ),
        };
        let subject = match self.language {
            Language::Fr => format!("[{}] Votre message n'a pas été pris en compte", self.tag),
            Language::En => format!("[{}] Your message was not taken", self.tag),
        };
        let refusal = RefusalForTemplate {
            kind,
            filename,
            size,
            limit,
            subject: bounds::one_line(original_subject, MAX_TITLE_CHARS),
        };
        let nonce = &sha256_hex(format!("refusal|{}|{at}|{}", to.address, std::process::id()).as_bytes())[..16];
        self.one_off(Event::RefusalReply, to, subject, ("refusal", refusal), self.ids.refusal(nonce))
    }
}

/// "12,5 Mo" / "12.5 MB", or kilobytes below a megabyte.
fn megabytes(bytes: u64, language: Language) -> String {
    let (value, unit) = if bytes < 1_048_576 {
        (bytes as f64 / 1024.0, if language == Language::Fr { "Ko" } else { "KB" })
    } else {
        (bytes as f64 / 1_048_576.0, if language == Language::Fr { "Mo" } else { "MB" })
    };
    match language {
        Language::Fr => format!("{value:.1} {unit}").replace('.', ","),
        Language::En => format!("{value:.1} {unit}"),
    }
}
