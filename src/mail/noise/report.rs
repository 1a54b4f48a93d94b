//! Mail about mail, meant for a postmaster: feedback reports (RFC 5965 ARF,
//! `multipart/report; report-type=feedback-report`, and the older
//! Hotmail/Outlook complaint mails that carry a `message/feedback-report`
//! part inside `multipart/mixed`), DMARC aggregate reports (RFC 7489: a zip
//! or gzip XML file named `receiver!domain!begin!end.xml.gz`, a subject
//! `Report Domain: … Submitter: …`), SMTP TLS reports (RFC 8460:
//! `report-type=tlsrpt`, `application/tlsrpt+gzip`, `TLS-Report-Domain`)
//! and Amazon SES complaint notifications (JSON in a text/plain body).

use std::sync::LazyLock;

use regex::Regex;

use super::{Noise, shown};
use crate::mail::InboundMail;

pub(super) fn report(mail: &InboundMail) -> Option<Noise> {
    let s = &mail.automation;
    match s.report_type.as_deref() {
        Some("feedback-report") => {
            return Some(Noise::Report("feedback report: multipart/report; report-type=feedback-report".into()));
        }
        Some("tlsrpt") => return Some(Noise::Report("SMTP TLS report: multipart/report; report-type=tlsrpt".into())),
        _ => {}
    }
    if s.part_types.iter().any(|t| t == "message/feedback-report") {
        return Some(Noise::Report("feedback report: a message/feedback-report part".into()));
    }
    if let Some(t) = s.part_types.iter().find(|t| t.starts_with("application/tlsrpt")) {
        return Some(Noise::Report(format!("SMTP TLS report: a {t} part")));
    }
    if let Some(header) = s.robot_header.as_deref().filter(|h| h.starts_with("TLS-Report-")) {
        return Some(Noise::Report(format!("SMTP TLS report: {}", shown(header))));
    }
    if let Some(name) = s.part_names.iter().find(|n| REPORT_FILE.is_match(n)) {
        let kind = if name.contains(".json") { "SMTP TLS report" } else { "DMARC aggregate report" };
        return Some(Noise::Report(format!("{kind}: attachment {}", shown(name))));
    }
    if REPORT_SUBJECT.is_match(&mail.subject) {
        return Some(Noise::Report(format!("DMARC aggregate report: subject \"{}\"", shown(&mail.subject))));
    }
    super::bounce::ses_notification(&s.text_opening)
        .filter(|kind| *kind == "Complaint")
        .map(|_| Noise::Report("Amazon SES complaint notification (notificationType Complaint)".into()))
}

/// RFC 7489 §7.2.1.1 and RFC 8460 §5.1 file names:
/// `receiver!policy-domain!begin-timestamp!end-timestamp[!unique-id].ext`.
static REPORT_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[^!\s/]+![^!\s/]+![0-9]{9,11}![0-9]{9,11}(?:![^!\s/]*)?\.(?:xml|json)?(?:\.?(?:gz|zip|gzip))?$")
        .expect("static regex")
});

/// RFC 7489 §7.2.1.1 and RFC 8460 §5.3 subjects:
/// `Report Domain: example.fr Submitter: google.com Report-ID: <…>`.
static REPORT_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:\[[^\]]*\]\s*)?report\s+domain\s*:\s*\S+\s+submitter\s*:\s*\S").expect("static regex")
});
