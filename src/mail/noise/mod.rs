//! The robot guard. mailgate never opens a ticket for, and never answers, a
//! mail that a program sent on its own: an out-of-office, a bounce, a
//! feedback or DMARC report, another helpdesk's notification, list traffic.
//! Answering one is how two robots end up mailing each other until a quota
//! breaks, and a ticket for one is noise a technician has to close by hand.
//! The rules read only the facts that parsing collected before the body is
//! converted ([`AutomationSignals`]: headers, the parts' types and names, a
//! bounded opening of the first text part), the sender and the subject, so
//! they are tested as tables. What is classified as noise is ignored with
//! its reason on the intake record, never refused with an answer.
//!
//! Nothing here may cost a person's mail: a phrase a robot uses is a signal
//! only where a robot puts it (anchored at the start of a subject, on the
//! first line of a body) and, when a person could write it too ("Non remis"
//! about a parcel), only with a second signal that a person's mail lacks.
//! The rules are split by family: [`helpdesk`], [`report`], [`bounce`],
//! [`auto_reply`] (which also holds challenge-response and list managers).

mod auto_reply;
mod bounce;
mod helpdesk;
mod report;

use std::fmt;

use super::{AutomationSignals, InboundMail};

/// Why a mail is a robot's. The string is the precise signal, as it would
/// read in the headers (`Auto-Submitted: auto-replied`), for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Noise {
    AutoReply(String),
    Bounce(String),
    MailingList(String),
    /// A feedback (ARF), DMARC aggregate or SMTP TLS report, or a
    /// complaint notification: mail about mail, for a postmaster.
    Report(String),
    /// Another helpdesk's notifier: (the helpdesk, the signal).
    Helpdesk(String, String),
    /// A challenge-response system or a list manager's alert.
    Robot(String),
}

impl Noise {
    /// One line for the intake record, e.g. `auto-reply (Auto-Submitted: auto-replied)`.
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Noise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Noise::AutoReply(signal) => write!(f, "auto-reply ({signal})"),
            Noise::Bounce(signal) => write!(f, "bounce ({signal})"),
            Noise::MailingList(signal) => write!(f, "mailing list ({signal})"),
            Noise::Report(signal) => write!(f, "report ({signal})"),
            Noise::Helpdesk(desk, signal) => write!(f, "notification of another helpdesk, {desk} ({signal})"),
            Noise::Robot(signal) => write!(f, "robot ({signal})"),
        }
    }
}

/// Values copied from a mail into a reason stay one short line: the record
/// is read line by line and the sender controls these bytes.
const MAX_SHOWN_CHARS: usize = 60;

/// Whether `mail` is a robot's, and which rule says so.
///
/// The certain signals come first: another helpdesk's headers, then
/// reports (a feedback report is a `multipart/report` too, and must not read
/// as a bounce), then bounces, because a bounce often carries the auto-reply
/// and list headers of the mail it returns, and it is a bounce. The null
/// return path is checked after the auto-reply headers: RFC 3834 asks every
/// responder to use the null sender, so an out-of-office with
/// `Return-Path: <>` would otherwise be recorded as a bounce. List traffic
/// counts only when `ignore_lists` is set, since a support address may
/// itself be reached through a list (`intake.ignore_lists = false`).
///
/// `X-Auto-Response-Suppress` is deliberately not a signal, and
/// [`AutomationSignals`] has no field for it: Exchange and Outlook put it on
/// mail that people write, where it only asks robots not to answer. Treating
/// it as noise is how other helpdesks silently lost real requests.
pub fn classify(mail: &InboundMail, ignore_lists: bool) -> Option<Noise> {
    let signals = &mail.automation;
    helpdesk::notifier(signals)
        .or_else(|| report::report(mail))
        .or_else(|| bounce::bounce(mail))
        .or_else(|| auto_reply::auto_reply(signals, &mail.subject))
        .or_else(|| auto_reply::robot(mail))
        .or_else(|| signals.empty_return_path.then(|| Noise::Bounce("Return-Path: <>".into())))
        .or_else(|| if ignore_lists { list(signals) } else { None })
}

/// Another helpdesk's notification, alone: [`crate::intake`] checks it
/// before recognising mailgate's own mail, whose GLPI-shaped Message-IDs
/// another GLPI writes too.
pub fn other_helpdesk(mail: &InboundMail) -> Option<Noise> {
    helpdesk::notifier(&mail.automation)
}

fn list(signals: &AutomationSignals) -> Option<Noise> {
    if signals.list_id {
        return Some(Noise::MailingList("List-Id".into()));
    }
    if signals.list_unsubscribe {
        return Some(Noise::MailingList("List-Unsubscribe".into()));
    }
    if signals.precedence.as_deref() == Some("list") {
        return Some(Noise::MailingList("Precedence: list".into()));
    }
    None
}

/// The first `max_lines` non-blank lines of `text`, trimmed: where a
/// robot's notice states what it is (a person's forward or paste starts
/// with their own words or a forward header).
fn first_lines(text: &str, max_lines: usize) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).take(max_lines)
}

/// `value` on one line, whitespace and control characters collapsed, cut
/// with `…` when long.
fn shown(value: &str) -> String {
    let line = crate::text::one_line(value, MAX_SHOWN_CHARS);
    if line.is_empty() { "(empty)".into() } else { line }
}

#[cfg(test)]
mod tests;
