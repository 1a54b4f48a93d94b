//! The facts the robot guard reads, collected from a parsed message before
//! its body is converted: headers, the parts' MIME headers, and a bounded
//! opening of the first text part as decoded. Cheap by construction: no
//! HTML is rendered and no attachment copied for a robot.

use mail_parser::{Message, MimeHeaders, PartType};

use super::{MAX_NAME_CHARS, head};
use crate::mail::{AutomationSignals, MAX_OPENING_BYTES, MAX_PART_FACTS};

pub(super) fn automation_signals(message: &Message<'_>) -> AutomationSignals {
    let lower = |name: &str| message.header_raw(name).map(|v| v.split(';').next().unwrap_or("").trim().to_lowercase());
    let present = |name: &str| message.header_raw(name).is_some();
    let content_type = message.content_type();
    let multipart_report = content_type.is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let (part_types, part_names) = part_facts(message);
    AutomationSignals {
        auto_submitted: lower("Auto-Submitted"),
        x_autoreply: AUTOREPLY_HEADERS.iter().any(|name| present(name)),
        precedence: lower("Precedence"),
        list_id: present("List-Id"),
        list_unsubscribe: present("List-Unsubscribe"),
        multipart_report,
        report_type: content_type
            .filter(|_| multipart_report)
            .and_then(|ct| ct.attribute("report-type"))
            .map(|t| crate::text::one_line(t, 40).to_lowercase()),
        empty_return_path: message
            .header_raw("Return-Path")
            .is_some_and(|v| v.chars().filter(|c| !c.is_whitespace()).collect::<String>() == "<>"),
        null_from: null_from(message),
        from_name: message
            .from()
            .and_then(|a| a.iter().find_map(|addr| addr.name()))
            .map(|n| crate::text::one_line(n, MAX_NAME_CHARS))
            .filter(|n| !n.is_empty()),
        robot_header: robot_header(message),
        helpdesk: helpdesk(message),
        part_types,
        part_names,
        text_opening: text_opening(message),
    }
}

/// Headers that only responders write; a person's client never does.
const AUTOREPLY_HEADERS: [&str; 6] =
    ["X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From", "X-Mail-Autoreply", "X-Vacation"];

/// Headers that name a robot by themselves: Exim's list of failed
/// recipients, Exchange's NDR flag, RFC 8460's TLS report headers, the
/// TMDA challenge-response agent.
const ROBOT_HEADERS: [&str; 5] = [
    "X-Failed-Recipients",
    "X-MS-Exchange-Message-Is-Ndr",
    "TLS-Report-Domain",
    "TLS-Report-Submitter",
    "X-Delivery-Agent",
];

fn robot_header(message: &Message<'_>) -> Option<String> {
    ROBOT_HEADERS.iter().find_map(|name| {
        let value = message.header_raw(*name)?;
        let value = crate::text::one_line(value, 40);
        // X-Delivery-Agent names any delivery program; only TMDA's is a robot's.
        (*name != "X-Delivery-Agent" || value.to_ascii_lowercase().starts_with("tmda"))
            .then(|| format!("{name}: {value}"))
    })
}

/// `From` present with the null address in it (`<>`) or empty. A name
/// without an address is a broken client, not a robot: the sender policy
/// refuses it as having no address.
fn null_from(message: &Message<'_>) -> bool {
    let Some(raw) = message.header_raw("From") else { return false };
    let squeezed: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    squeezed.is_empty() || squeezed.ends_with("<>")
}

/// The helpdesk whose notifier wrote these headers, by header name prefix
/// (and osTicket by its `X-Mailer`), with the header that showed it.
fn helpdesk(message: &Message<'_>) -> Option<(String, String)> {
    const PREFIXES: [(&str, &str); 7] = [
        ("x-glpi-", "GLPI"),
        ("x-otrs-", "OTRS"),
        ("x-zammad-", "Zammad"),
        ("x-osticket-", "osTicket"),
        ("x-rt-", "Request Tracker"),
        ("rt-ticket", "Request Tracker"),
        ("x-zendesk-", "Zendesk"),
    ];
    for (name, value) in message.headers_raw().take(MAX_HEADERS_SCANNED) {
        let lower = name.to_ascii_lowercase();
        if let Some((_, desk)) = PREFIXES.iter().find(|(prefix, _)| lower.starts_with(prefix)) {
            return Some(((*desk).to_string(), crate::text::one_line(name, 60)));
        }
        if lower == "x-mailer" && value.to_ascii_lowercase().contains("osticket") {
            return Some(("osTicket".into(), "X-Mailer: osTicket".into()));
        }
    }
    None
}

/// How many headers are looked at for a helpdesk's names: the notifiers'
/// headers sit among the first few dozen; a hostile mail may have thousands.
const MAX_HEADERS_SCANNED: usize = 500;

/// The content types and file names of the message's parts, the root
/// included (a report may be a lone gzip file). A returned message's own
/// parts are not looked into: they are the person's mail.
fn part_facts(message: &Message<'_>) -> (Vec<String>, Vec<String>) {
    let (mut types, mut names) = (Vec::new(), Vec::new());
    for part in message.parts.iter().take(MAX_PART_FACTS) {
        if let Some(ct) = part.content_type() {
            let ty = match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            };
            types.push(crate::text::one_line(&ty, 80).to_lowercase());
        }
        if let Some(name) = part.attachment_name() {
            names.push(crate::text::one_line(name, 200));
        }
    }
    (types, names)
}

/// The first [`MAX_OPENING_BYTES`] of the first text/plain part, as
/// decoded: a slice, never a conversion.
fn text_opening(message: &Message<'_>) -> String {
    let first_text = message.text_body.iter().filter_map(|id| message.part(*id)).find_map(|p| match &p.body {
        PartType::Text(text) => Some(text),
        _ => None,
    });
    first_text.map(|t| head(t, MAX_OPENING_BYTES).to_string()).unwrap_or_default()
}
