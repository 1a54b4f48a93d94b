//! Bounces and delivery reports, by every shape they come in: RFC 3464
//! `multipart/report`, a null or mail-system sender (`From: MAILER-DAEMON
//! <>`, `postmaster`, `post_master`, `mail-daemon`, a display name that says
//! so), the headers of Exim and Exchange non-delivery reports, Amazon SES
//! bounce notifications, X.400-style `Status of:` reports, and plain-text
//! notices known by their subject ("Non remis", "Unzustellbar", "配信エラー")
//! together with a second sign of a robot.

use super::{Noise, first_lines, shown};
use crate::mail::{InboundMail, subject};

/// Local parts that only the mail system sends from.
const SYSTEM_LOCAL_PARTS: [&str; 10] = [
    "mailer-daemon",
    "mailerdaemon",
    "mailer_daemon",
    "mail-daemon",
    "maildaemon",
    "mail_daemon",
    "postmaster",
    "post_master",
    "post-master",
    "mail-delivery-system",
];

/// Display names that only the mail system uses, lower-cased.
const SYSTEM_NAMES: [&str; 7] = [
    "mailer-daemon",
    "mailer daemon",
    "postmaster",
    "mail delivery system",
    "mail delivery subsystem",
    "mail delivery service",
    "mail administrator",
];

pub(super) fn bounce(mail: &InboundMail) -> Option<Noise> {
    let s = &mail.automation;
    if s.multipart_report {
        let reason = match s.report_type.as_deref() {
            Some(t) if !t.is_empty() => format!("Content-Type: multipart/report; report-type={}", shown(t)),
            _ => "Content-Type: multipart/report".into(),
        };
        return Some(Noise::Bounce(reason));
    }
    if s.null_from {
        return Some(Noise::Bounce("From: <>, the null sender".into()));
    }
    if let Some(reason) = system_sender(mail) {
        return Some(Noise::Bounce(reason));
    }
    if let Some(header) =
        s.robot_header.as_deref().filter(|h| !h.starts_with("TLS-Report-") && !h.starts_with("X-Delivery"))
    {
        return Some(Noise::Bounce(shown(header)));
    }
    if s.part_types.iter().any(|t| t == "message/delivery-status") {
        return Some(Noise::Bounce("a message/delivery-status part".into()));
    }
    if ses_notification(&s.text_opening) == Some("Bounce") {
        return Some(Noise::Bounce("Amazon SES bounce notification (notificationType Bounce)".into()));
    }
    if is_status_report(&s.text_opening) {
        return Some(Noise::Bounce("X.400 delivery report (\"Status of:\")".into()));
    }
    let strength = subject::bounce_subject(&mail.subject)?;
    let seconded = strength == subject::BounceSubject::Certain
        || s.part_types.iter().any(|t| matches!(t.as_str(), "message/rfc822" | "text/rfc822-headers"))
        || failure_notice(&s.text_opening)
        || robot_like_sender(mail);
    seconded.then(|| Noise::Bounce(format!("delivery failure subject \"{}\"", shown(&mail.subject))))
}

fn system_sender(mail: &InboundMail) -> Option<String> {
    if let Some(from) = &mail.from {
        let local = from.local_part();
        if let Some(robot) = SYSTEM_LOCAL_PARTS.iter().find(|r| local.eq_ignore_ascii_case(r)) {
            return Some(format!("From: {robot}"));
        }
        // Exchange Online's NDRs come from MicrosoftExchange<hex>@domain.
        if local.starts_with("microsoftexchange") && local.len() > 24 {
            return Some("From: MicrosoftExchange… (Exchange's system mailbox)".into());
        }
    }
    let name = mail.automation.from_name.as_deref().or_else(|| mail.from.as_ref()?.name.as_deref())?;
    let lower = name.trim().trim_matches('"').to_lowercase();
    SYSTEM_NAMES.contains(&lower.as_str()).then(|| format!("From name \"{}\"", shown(name)))
}

/// A sender that is a program, though not certainly the mail system: a
/// second sign for a delivery-failure subject, never a sign alone.
fn robot_like_sender(mail: &InboundMail) -> bool {
    let Some(from) = &mail.from else { return true };
    let local = from.local_part().to_ascii_lowercase();
    let robot_local =
        ["noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "bounce", "daemon", "mailer", "mail-system"]
            .iter()
            .any(|w| local.contains(w))
            || matches!(local.as_str(), "mail" | "smtp" | "system" | "root" | "admin");
    let name = from.name.as_deref().unwrap_or("").to_lowercase();
    let robot_name = ["microsoft outlook", "microsoft exchange", "mail system", "system administrator", "delivery"]
        .iter()
        .any(|w| name.contains(w));
    robot_local || robot_name
}

/// `Some("Bounce")`, `Some("Complaint")` or `Some("Delivery")` when the
/// text opens as an Amazon SES notification, bare or wrapped by SNS.
pub(super) fn ses_notification(opening: &str) -> Option<&'static str> {
    if !opening.trim_start().starts_with('{') {
        return None;
    }
    let compact: String = opening.chars().filter(|c| !c.is_whitespace() && *c != '\\').collect();
    ["Bounce", "Complaint", "Delivery"]
        .into_iter()
        .find(|kind| compact.contains(&format!("\"notificationType\":\"{kind}\"")))
}

/// An X.400-style report (GroupWise, old gateways): the text opens with
/// `Status of:` and says the message failed.
fn is_status_report(opening: &str) -> bool {
    let mut lines = first_lines(opening, 12);
    let starts = lines.next().is_some_and(|l| l.get(..10).is_some_and(|head| head.eq_ignore_ascii_case("status of:")));
    starts && lines.any(|l| FAILURE_WORDS.iter().any(|w| l.to_lowercase().contains(w)))
}

const FAILURE_WORDS: [&str; 6] =
    ["undeliverable", "not delivered", "non-delivery", "failed", "non remis", "non délivré"];

/// The opening sentence of a mail system's notice, in the first lines of
/// the text. A person pasting such a sentence has their own words first,
/// and the phrase only seconds a delivery-failure subject anyway.
fn failure_notice(opening: &str) -> bool {
    const PHRASES: [&str; 22] = [
        "this is the mail system at host",
        "your message could not be delivered",
        "your message did not reach",
        "delivery has failed to these recipients",
        "did not reach the following recipient",
        "could not be delivered to one or more recipients",
        "the following addresses had permanent fatal errors",
        "was not delivered to",
        "this message was created automatically by mail delivery software",
        "votre message n'a pas pu être remis",
        "votre message n’a pas pu être remis",
        "n'a pas pu être remis aux destinataires",
        "n’a pas pu être remis aux destinataires",
        "ihre nachricht konnte nicht",
        "die nachricht konnte nicht zugestellt werden",
        "no se pudo entregar",
        "su mensaje no pudo ser entregado",
        "il messaggio non è stato recapitato",
        "impossibile recapitare il messaggio",
        "送信できませんでした",
        "配信できませんでした",
        "届きませんでした",
    ];
    first_lines(opening, 12).any(|line| {
        let line = line.to_lowercase();
        PHRASES.iter().any(|p| line.contains(p))
    })
}
