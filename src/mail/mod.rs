//! The inbound mail as the rest of mailgate sees it: decoded, bounded, and
//! stripped of everything MIME. [`parse`] turns raw bytes into an
//! [`InboundMail`]; the other modules read it without touching MIME again:
//! [`body`] turns HTML into text, [`reply`] cuts quoted history, [`subject`]
//! finds the ticket token and strips reply prefixes, [`noise`] recognises
//! robots (auto-replies, bounces, lists).

pub mod address;
pub mod body;
pub mod markup;
pub mod noise;
pub mod parse;
pub mod reply;
pub mod subject;

pub use parse::{ParseError, parse};

/// One address as written in a header, decoded and normalised: the address
/// part is lower-cased so that comparisons with configuration are exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: String,
    pub name: Option<String>,
}

impl Mailbox {
    pub fn new(address: &str, name: Option<&str>) -> Self {
        Mailbox {
            address: address.trim().to_lowercase(),
            name: name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
        }
    }

    /// The domain part, without the `@`; empty when the address has none.
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The local part, before the `@`.
    pub fn local_part(&self) -> &str {
        self.address.rsplit_once('@').map_or(&self.address, |(l, _)| l)
    }

    /// The name a person would be called by: the display name, or the address.
    pub fn display(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.address)
    }
}

/// A file carried by a mail: a real attachment or an inline image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Safe to use as a file name: see [`parse::safe_filename`].
    pub filename: String,
    pub content_type: String,
    pub size: usize,
    /// Lower-case hex SHA-256 of the content; the content's address in the store.
    pub sha256: String,
    pub inline: bool,
    /// The part's Content-ID (without angle brackets) when it had a usable
    /// one: an HTML body shows an inline image by it (`cid:`).
    pub content_id: Option<String>,
    pub content: Vec<u8>,
}

impl Attachment {
    /// A file that came by another door than mail (a web form): its name
    /// made safe as a mail's would be, its content type kept only when it
    /// is a plain `type/subtype`, never inline.
    pub fn uploaded(filename: &str, content_type: &str, content: Vec<u8>) -> Attachment {
        let token = |s: &str| {
            !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        };
        let content_type = match content_type.trim().split_once('/') {
            Some((kind, sub)) if token(kind) && token(sub) => content_type.trim().to_ascii_lowercase(),
            _ => "application/octet-stream".to_string(),
        };
        Attachment {
            filename: parse::safe_filename(filename),
            content_type,
            size: content.len(),
            sha256: parse::sha256_hex(&content),
            inline: false,
            content_id: None,
            content,
        }
    }
}

/// Header facts the noise guard reads. Kept as plain values so that the
/// rules in [`noise`] are tested without building MIME. They are collected
/// before the body is converted: the parts' content types and file names
/// come from MIME headers, and [`AutomationSignals::text_opening`] is a
/// bounded slice of the first text part as decoded, never HTML rendered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomationSignals {
    /// `Auto-Submitted` value, lower-cased, without parameters.
    pub auto_submitted: Option<String>,
    /// `X-Autoreply` or `X-Autorespond` present (any value).
    pub x_autoreply: bool,
    /// `Precedence` value, lower-cased.
    pub precedence: Option<String>,
    pub list_id: bool,
    pub list_unsubscribe: bool,
    /// The top-level content type is `multipart/report` (a DSN or MDN).
    pub multipart_report: bool,
    /// The `report-type` parameter of a top-level `multipart/report`,
    /// lower-cased (`delivery-status`, `feedback-report`, `tlsrpt`…).
    pub report_type: Option<String>,
    /// `Return-Path: <>`: the null sender of bounces and other robots.
    pub empty_return_path: bool,
    /// `From` is there but names no address (`From: MAILER-DAEMON <>`,
    /// `From: <>`, an empty value): only the mail system writes that.
    pub null_from: bool,
    /// The display name of `From`, even when its address is null.
    pub from_name: Option<String>,
    /// The first header that names a robot outright, as `Name: value`
    /// (`X-Failed-Recipients`, `X-MS-Exchange-Message-Is-Ndr`,
    /// `TLS-Report-Domain`, `X-Delivery-Agent: TMDA`…), value shortened.
    pub robot_header: Option<String>,
    /// Another helpdesk's notifier and the header that shows it, e.g.
    /// `("GLPI", "X-GLPI-Ticket-ID")`.
    pub helpdesk: Option<(String, String)>,
    /// Content types of the top-level MIME parts, lower-cased, in order
    /// (at most [`MAX_PART_FACTS`]).
    pub part_types: Vec<String>,
    /// File names of the top-level parts that have one (same bound).
    pub part_names: Vec<String>,
    /// The first lines of the first text/plain part, at most
    /// [`MAX_OPENING_BYTES`]: where an SES notification's JSON, an X.400
    /// report's `Status of:` or a carrier's error notice show themselves.
    pub text_opening: String,
}

/// How many parts' types and names [`AutomationSignals`] keeps.
pub const MAX_PART_FACTS: usize = 32;
/// How much of the first text part [`AutomationSignals::text_opening`] keeps.
pub const MAX_OPENING_BYTES: usize = 4096;

/// A mail after parsing: everything the decision needs, nothing of MIME.
#[derive(Debug, Clone)]
pub struct InboundMail {
    /// Without angle brackets. Derived from the content hash when missing.
    pub message_id: String,
    pub message_id_derived: bool,
    /// SHA-256 of what makes the message this message (body and the headers
    /// people write), not of the trace headers a second delivery changes.
    pub content_hash: String,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// The envelope recipients the delivering servers recorded
    /// (`Delivered-To`, `X-Original-To`), without repeats: the alias a mail
    /// really reached (`lsu-support@…`) when it was Bcc'd or forwarded.
    pub delivered_to: Vec<Mailbox>,
    /// Decoded; empty when the mail has no subject.
    pub subject: String,
    /// Unix seconds from the `Date` header, when it has a readable one.
    pub date: Option<i64>,
    /// Message-IDs without angle brackets, in header order.
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub automation: AutomationSignals,
    /// The `Authentication-Results` headers, topmost (latest added) first;
    /// see [`crate::intake::trust`] for which one is believed.
    pub authentication_results: Vec<String>,
    /// The IP address of the relay that handed the mail to the last server,
    /// from the topmost `Received` header (for `trust.trusted_relays`).
    pub relay_ip: Option<std::net::IpAddr>,
    /// What mailgate's own DKIM verification found, when `[trust]` asks
    /// for it; filled while the mail is read (`pipeline::read`).
    pub dkim: Option<crate::intake::trust::dkim::Evidence>,
    /// The readable text: text/plain, or HTML turned into text.
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// What could not be read or was cut, kept for the record (e.g. an
    /// unknown charset, a text over the size kept).
    pub defects: Vec<String>,
    /// The body was read: false when [`parse::parse_screened`] stopped at
    /// the headers (`text` and `attachments` are then empty).
    pub body_read: bool,
}

impl InboundMail {
    /// Every Message-ID this mail answers, most specific first.
    pub fn thread_ids(&self) -> impl Iterator<Item = &str> {
        self.in_reply_to.iter().chain(self.references.iter().rev()).map(String::as_str)
    }
}
