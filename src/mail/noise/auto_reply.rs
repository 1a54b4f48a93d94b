//! Responders: out-of-office and other auto-replies (RFC 3834
//! `Auto-Submitted` with any value but `no`, `X-Autoreply` and its
//! cousins, `Precedence: bulk | junk | auto_reply`, and the subjects of
//! responders that set none of these, Lotus Notes' `AUTO:` among them);
//! challenge-response systems that ask a sender to prove they are human;
//! and list managers' notices (moderation, loops, uncaught bounces).

use super::{Noise, shown};
use crate::mail::{AutomationSignals, InboundMail, subject};

pub(super) fn auto_reply(signals: &AutomationSignals, subject_line: &str) -> Option<Noise> {
    // RFC 3834: `no` is the one value that says a person sent the mail.
    if let Some(value) = signals.auto_submitted.as_deref().filter(|v| !v.trim().eq_ignore_ascii_case("no")) {
        return Some(Noise::AutoReply(format!("Auto-Submitted: {}", shown(value))));
    }
    if signals.x_autoreply {
        return Some(Noise::AutoReply("X-Autoreply or X-Autorespond".into()));
    }
    if let Some(value) = signals.precedence.as_deref().filter(|v| matches!(*v, "bulk" | "junk" | "auto_reply")) {
        return Some(Noise::AutoReply(format!("Precedence: {value}")));
    }
    if subject::is_out_of_office(subject_line) {
        return Some(Noise::AutoReply(format!("out-of-office subject \"{}\"", shown(subject_line))));
    }
    None
}

/// Local parts of list managers' own addresses.
const LIST_MANAGERS: [&str; 6] = ["mailman", "sympa", "listserv", "majordomo", "ecartis", "lyris"];

pub(super) fn robot(mail: &InboundMail) -> Option<Noise> {
    if let Some(header) = mail.automation.robot_header.as_deref().filter(|h| h.starts_with("X-Delivery-Agent")) {
        return Some(Noise::Robot(format!("challenge-response, {}", shown(header))));
    }
    if subject::is_challenge(&mail.subject) {
        return Some(Noise::Robot(format!("challenge-response subject \"{}\"", shown(&mail.subject))));
    }
    if subject::is_list_manager_notice(&mail.subject) {
        return Some(Noise::Robot(format!("list manager's notice \"{}\"", shown(&mail.subject))));
    }
    let local = mail.from.as_ref()?.local_part().to_ascii_lowercase();
    let manager = LIST_MANAGERS.iter().any(|m| local == *m || local.starts_with(&format!("{m}-")))
        || local.ends_with("-bounces")
        || local.starts_with("owner-");
    manager.then(|| Noise::Robot(format!("list manager's address \"{}\"", shown(&local))))
}
