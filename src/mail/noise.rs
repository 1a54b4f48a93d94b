//! The robot guard. mailgate never opens a ticket for, and never answers, a
//! mail that a program sent on its own: an out-of-office, a bounce, list
//! traffic. Answering one is how two robots end up mailing each other until a
//! quota breaks, and a ticket for one is noise a technician has to close by
//! hand. The rules read only the header facts that parsing collected in
//! [`AutomationSignals`], the sender and the subject, so they are tested here
//! as a table without building MIME. What is classified as noise is ignored
//! with its reason on the intake record, never refused with an answer.

use std::fmt;

use super::subject;
use super::{AutomationSignals, InboundMail};

/// Why a mail is a robot's. The string is the precise signal, as it would
/// read in the headers (`Auto-Submitted: auto-replied`), for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Noise {
    AutoReply(String),
    Bounce(String),
    MailingList(String),
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
        }
    }
}

/// Values copied from a mail into a reason stay one short line: the record
/// is read line by line and the sender controls these bytes.
const MAX_SHOWN_CHARS: usize = 60;

/// Whether `mail` is a robot's, and which rule says so.
///
/// Bounces are recognised first, because a bounce often carries the
/// auto-reply and list headers of the mail it returns, and it is a bounce.
/// Within bounces the null return path is checked last, after the
/// auto-reply headers: RFC 3834 asks every responder to use the null sender,
/// so an out-of-office with `Return-Path: <>` would otherwise be recorded as
/// a bounce. List traffic counts only when `ignore_lists` is set, since a
/// support address may itself be reached through a list
/// (`intake.ignore_lists = false`).
///
/// `X-Auto-Response-Suppress` is deliberately not a signal, and
/// [`AutomationSignals`] has no field for it: Exchange and Outlook put it on
/// mail that people write, where it only asks robots not to answer. Treating
/// it as noise is how other helpdesks silently lost real requests.
pub fn classify(mail: &InboundMail, ignore_lists: bool) -> Option<Noise> {
    let signals = &mail.automation;
    certain_bounce(mail)
        .or_else(|| auto_reply(signals, &mail.subject))
        .or_else(|| signals.empty_return_path.then(|| Noise::Bounce("Return-Path: <>".into())))
        .or_else(|| if ignore_lists { list(signals) } else { None })
}

/// A delivery or disposition report, or a mail from the mail system itself.
fn certain_bounce(mail: &InboundMail) -> Option<Noise> {
    if mail.automation.multipart_report {
        return Some(Noise::Bounce("Content-Type: multipart/report".into()));
    }
    let local = mail.from.as_ref()?.local_part();
    ["mailer-daemon", "postmaster"]
        .into_iter()
        .find(|robot| local.eq_ignore_ascii_case(robot))
        .map(|robot| Noise::Bounce(format!("From: {robot}")))
}

fn auto_reply(signals: &AutomationSignals, subject_line: &str) -> Option<Noise> {
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

/// `value` on one line, whitespace and control characters collapsed, cut
/// with `…` when long.
fn shown(value: &str) -> String {
    let line = value
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if line.is_empty() {
        return "(empty)".into();
    }
    if line.chars().count() <= MAX_SHOWN_CHARS {
        return line;
    }
    let kept: String = line.chars().take(MAX_SHOWN_CHARS - 1).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Mailbox;

    /// A mail a person would send, with `headers` (one `Name: value` a line)
    /// applied the way parsing fills [`AutomationSignals`]. Headers the parser
    /// keeps no field for, such as `X-Auto-Response-Suppress`, change nothing.
    fn mail(headers: &str) -> InboundMail {
        let mut mail = InboundMail {
            message_id: "m-1@ac-exemple.fr".into(),
            message_id_derived: false,
            content_hash: "0".repeat(64),
            from: Some(Mailbox::new("marie.dupont@ac-exemple.fr", Some("Marie Dupont"))),
            reply_to: None,
            to: vec![Mailbox::new("support-informatique@ac-exemple.fr", None)],
            cc: Vec::new(),
            delivered_to: Vec::new(),
            subject: "Imprimante en panne".into(),
            date: Some(1_700_000_000),
            in_reply_to: Vec::new(),
            references: Vec::new(),
            automation: AutomationSignals::default(),
            text: "Bonjour, l'imprimante du secrétariat ne répond plus.".into(),
            attachments: Vec::new(),
            defects: Vec::new(),
            body_read: true,
            authentication_results: Vec::new(),
            relay_ip: None,
        };
        let s = &mut mail.automation;
        for line in headers.lines() {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "from" => mail.from = Some(Mailbox::new(value, None)),
                "subject" => mail.subject = value.into(),
                "auto-submitted" => s.auto_submitted = Some(value.to_lowercase()),
                "x-autoreply" | "x-autorespond" => s.x_autoreply = true,
                "precedence" => s.precedence = Some(value.to_lowercase()),
                "list-id" => s.list_id = true,
                "list-unsubscribe" => s.list_unsubscribe = true,
                "content-type" => s.multipart_report = value == "multipart/report",
                "return-path" => s.empty_return_path = value == "<>",
                "x-auto-response-suppress" => {}
                other => panic!("test helper: unknown header {other}"),
            }
        }
        mail
    }

    fn check(ignore_lists: bool, cases: &[(&str, &str, Option<&str>)]) {
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|&(name, headers, expected)| {
                let got = classify(&mail(headers), ignore_lists).map(|n| n.reason());
                (got.as_deref() != expected).then(|| format!("{name}: got {got:?}, expected {expected:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "{} failing:\n{}", failures.len(), failures.join("\n"));
    }

    #[test]
    fn rules() {
        #[rustfmt::skip]
        let cases = [
            ("a person's mail", "", None),
            // Auto-replies.
            ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied", Some("auto-reply (Auto-Submitted: auto-replied)")),
            ("Auto-Submitted: auto-generated", "Auto-Submitted: Auto-Generated", Some("auto-reply (Auto-Submitted: auto-generated)")),
            ("Auto-Submitted, other value", "Auto-Submitted: auto-notified", Some("auto-reply (Auto-Submitted: auto-notified)")),
            ("Auto-Submitted, empty", "Auto-Submitted:", Some("auto-reply (Auto-Submitted: (empty))")),
            ("Auto-Submitted: no", "Auto-Submitted: no", None),
            ("X-Autoreply", "X-Autoreply: yes", Some("auto-reply (X-Autoreply or X-Autorespond)")),
            ("X-Autorespond", "X-Autorespond: 1", Some("auto-reply (X-Autoreply or X-Autorespond)")),
            ("Precedence: bulk", "Precedence: bulk", Some("auto-reply (Precedence: bulk)")),
            ("Precedence: junk", "Precedence: junk", Some("auto-reply (Precedence: junk)")),
            ("Precedence: auto_reply", "Precedence: auto_reply", Some("auto-reply (Precedence: auto_reply)")),
            ("Precedence: first-class", "Precedence: first-class", None),
            ("out-of-office subject", "Subject: RE: Absent du bureau", Some("auto-reply (out-of-office subject \"RE: Absent du bureau\")")),
            ("absence request", "Subject: Demande d'absence pour formation", None),
            ("X-Auto-Response-Suppress only", "X-Auto-Response-Suppress: All", None),
            ("null sender of a responder", "Auto-Submitted: auto-replied\nReturn-Path: <>", Some("auto-reply (Auto-Submitted: auto-replied)")),
            // Bounces.
            ("multipart/report", "Content-Type: multipart/report", Some("bounce (Content-Type: multipart/report)")),
            ("From MAILER-DAEMON", "From: MAILER-DAEMON@mx.ac-exemple.fr", Some("bounce (From: mailer-daemon)")),
            ("From postmaster", "From: Postmaster@ac-exemple.fr", Some("bounce (From: postmaster)")),
            ("postmaster domain", "From: jean@postmaster.fr", None),
            ("Return-Path: <>", "Return-Path: <>", Some("bounce (Return-Path: <>)")),
            ("bounce that auto-replies", "Content-Type: multipart/report\nAuto-Submitted: auto-replied", Some("bounce (Content-Type: multipart/report)")),
            ("bounce from a list", "From: mailer-daemon@lists.ac-exemple.fr\nList-Id: <it>", Some("bounce (From: mailer-daemon)")),
            // Mailing lists.
            ("List-Id", "List-Id: <it.ac-exemple.fr>", Some("mailing list (List-Id)")),
            ("List-Unsubscribe", "List-Unsubscribe: <mailto:x>", Some("mailing list (List-Unsubscribe)")),
            ("Precedence: list", "Precedence: list", Some("mailing list (Precedence: list)")),
            ("auto-reply through a list", "X-Autoreply: yes\nList-Id: <it>", Some("auto-reply (X-Autoreply or X-Autorespond)")),
        ];
        check(true, &cases);
    }

    #[test]
    fn lists_count_only_when_ignored() {
        #[rustfmt::skip]
        let cases = [
            ("List-Id", "List-Id: <it.ac-exemple.fr>", None),
            ("List-Unsubscribe", "List-Unsubscribe: <mailto:x>", None),
            ("Precedence: list", "Precedence: list", None),
            ("bounce from a list", "Content-Type: multipart/report\nList-Id: <it>", Some("bounce (Content-Type: multipart/report)")),
            ("auto-reply through a list", "Auto-Submitted: auto-replied\nList-Id: <it>", Some("auto-reply (Auto-Submitted: auto-replied)")),
        ];
        check(false, &cases);
    }

    #[test]
    fn reasons_are_one_line_for_the_record() {
        let cases = [
            (Noise::AutoReply("Auto-Submitted: auto-replied".into()), "auto-reply (Auto-Submitted: auto-replied)"),
            (Noise::Bounce("Return-Path: <>".into()), "bounce (Return-Path: <>)"),
            (Noise::MailingList("List-Id".into()), "mailing list (List-Id)"),
        ];
        for (noise, expected) in cases {
            assert_eq!(noise.reason(), expected);
            assert_eq!(noise.to_string(), expected);
        }
        let mut sneaky = mail("");
        sneaky.subject = format!("Out of Office:\r\nBcc: victime@exemple.com {}", "x".repeat(80));
        sneaky.automation.auto_submitted = Some("auto-replied\r\n\tfolded".into());
        let reason = classify(&sneaky, true).map(|n| n.reason()).unwrap_or_default();
        assert_eq!(reason, "auto-reply (Auto-Submitted: auto-replied folded)");
        sneaky.automation.auto_submitted = None;
        let reason = classify(&sneaky, true).map(|n| n.reason()).unwrap_or_default();
        let shown = format!("Out of Office: Bcc: victime@exemple.com {}…", "x".repeat(19));
        assert_eq!(reason, format!("auto-reply (out-of-office subject \"{shown}\")"));
    }
}
