//! Raw bytes to [`InboundMail`]. Everything a real mailbox holds must come
//! out readable or with a reason: encoded words in any charset, QP and base64,
//! HTML-only bodies, nested multiparts, attachments with hostile names, and
//! mail without Message-ID, Date or Subject. mail-parser does the MIME work;
//! this module decides what mailgate keeps of it.

use std::sync::LazyLock;

use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};
use regex::Regex;
use sha2::{Digest, Sha256};

use super::{InboundMail, Mailbox, body};

mod signals;

/// The domain of Message-IDs that mailgate derives for mail that has none;
/// `.invalid` is reserved (RFC 2606), so it cannot collide with a real one.
pub const DERIVED_ID_DOMAIN: &str = "mailgate.invalid";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("not a mail message: no header could be read")]
    NoHeaders,
}

/// The most text kept of one mail, as its description or followup: far
/// more than a person writes, small enough that every later step (reply
/// cutting, notifications) stays cheap. The raw copy keeps everything.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// The most HTML rendered to text per mail (see [`body::html_to_text`]).
pub const MAX_HTML_BYTES: usize = 256 * 1024;
/// The longest Message-ID kept; real ones are under 100 bytes. A longer one
/// is replaced by a derived id, so that it never reaches a header mailgate
/// writes (In-Reply-To, References) or the store's indexes.
pub const MAX_MESSAGE_ID_BYTES: usize = 250;
/// The most Message-IDs kept from In-Reply-To and References, newest last.
const MAX_THREAD_IDS: usize = 20;
/// The longest display name kept; it is pasted into greetings.
pub(super) const MAX_NAME_CHARS: usize = 100;
/// The longest subject kept.
const MAX_SUBJECT_CHARS: usize = 500;
/// The most Cc and To addresses kept.
const MAX_RECIPIENTS: usize = 100;

/// Parses one message. Fails only when nothing mail-like can be read; any
/// lesser damage (unknown charset, truncated MIME) is noted in `defects`.
pub fn parse(raw: &[u8]) -> Result<InboundMail, ParseError> {
    parse_screened(raw, |_| true)
}

/// Parses one message's headers, then its body only if `read_body` says
/// so after looking at them: a refused stranger's or a robot's body is never
/// converted, whatever it holds. Without the body, `text` and `attachments`
/// are empty and `body_read` is false.
pub fn parse_screened(raw: &[u8], read_body: impl FnOnce(&InboundMail) -> bool) -> Result<InboundMail, ParseError> {
    let raw = without_blank_lead(raw);
    let message = MessageParser::default().parse(raw).ok_or(ParseError::NoHeaders)?;
    if message.headers().is_empty() {
        return Err(ParseError::NoHeaders);
    }
    let content_hash = content_hash(raw, &message);
    let mut defects = Vec::new();
    let (message_id, message_id_derived) = match message.message_id().map(one_line) {
        Some(id) if !id.is_empty() && is_usable_message_id(&id) => (id, false),
        other => {
            if other.is_some_and(|id| !id.is_empty()) {
                defects.push("the Message-ID is malformed or too long; a derived one is used".to_string());
            }
            (format!("{}@{DERIVED_ID_DOMAIN}", &content_hash[..32]), true)
        }
    };
    let mut mail = InboundMail {
        message_id,
        message_id_derived,
        content_hash,
        from: message.from().and_then(first_mailbox),
        reply_to: message.reply_to().and_then(first_mailbox),
        to: mailboxes(message.to()),
        cc: mailboxes(message.cc()),
        delivered_to: delivered_to(&message),
        subject: message.subject().map(|s| crate::text::one_line(s, MAX_SUBJECT_CHARS)).unwrap_or_default(),
        date: message.date().map(|d| d.to_timestamp()),
        in_reply_to: message_ids(message.header_raw("In-Reply-To")),
        references: message_ids(message.header_raw("References")),
        automation: signals::automation_signals(&message),
        authentication_results: authentication_results(&message),
        relay_ip: relay_ip(&message),
        dkim: None,
        text: String::new(),
        attachments: Vec::new(),
        defects,
        body_read: false,
    };
    if read_body(&mail) {
        let body_parts = body_parts(&message);
        mail.text = readable_text(&message, &body_parts, &mut mail.defects);
        mail.attachments = attachments(&message, &body_parts, &mut mail.defects);
        mail.body_read = true;
    }
    Ok(mail)
}

/// `raw` without the blank or whitespace-only lines some gateways and
/// export tools leave before the headers; read as it is, such a mail has
/// no header at all. Only skipped when a header line follows, so a body
/// without headers is not mistaken for one.
fn without_blank_lead(raw: &[u8]) -> &[u8] {
    let mut start = 0;
    while let Some(end) = raw[start..].iter().position(|b| *b == b'\n') {
        let line = &raw[start..start + end];
        if !line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            break;
        }
        start += end + 1;
    }
    let rest = &raw[start..];
    let name_len = rest.iter().take_while(|b| b.is_ascii_graphic() && **b != b':').count();
    if start > 0 && name_len > 0 && rest.get(name_len) == Some(&b':') { rest } else { raw }
}

/// A Message-ID mailgate may store and echo: `local@domain`, printable
/// ASCII without spaces or brackets, of a sane length.
fn is_usable_message_id(id: &str) -> bool {
    id.len() <= MAX_MESSAGE_ID_BYTES
        && id.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        && id.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\' | b','))
}

/// A file name that is safe to show and to use on disk: the last path
/// component only, no control characters, no leading dots, bounded length.
pub fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    // Bidirectional controls are dropped, not replaced: `facture\u{202e}fdp.exe`
    // must read as what it is, `facturefdp.exe`, never as `factureexe.pdf`.
    let cleaned: String = last
        .chars()
        .filter(|c| !crate::text::is_bidi_control(*c))
        .map(|c| if c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim_end_matches(['.', ' ']);
    if trimmed.is_empty() {
        return "attachment".to_string();
    }
    if trimmed.chars().count() <= 200 {
        return trimmed.to_string();
    }
    // Keep the extension: it is what tells the technician how to open the file.
    let ext: String = match trimmed.rsplit_once('.') {
        Some((_, ext)) if ext.chars().count() <= 10 => format!(".{ext}"),
        _ => String::new(),
    };
    let stem: String = trimmed.chars().take(200 - ext.chars().count()).collect();
    format!("{stem}{ext}")
}

/// Identity of the content: the body bytes and the headers a sender writes.
/// Trace headers (Received, Delivered-To, Return-Path) are left out so that
/// the same mail delivered twice hashes the same.
fn content_hash(raw: &[u8], message: &Message<'_>) -> String {
    let mut hasher = Sha256::new();
    for name in ["From", "To", "Cc", "Subject", "Date", "Message-ID"] {
        hasher.update(name.as_bytes());
        hasher.update(b":");
        hasher.update(message.header_raw(name).unwrap_or("").trim().as_bytes());
        hasher.update(b"\n");
    }
    let body_start = (message.root_part().offset_body as usize).min(raw.len());
    hasher.update(&raw[body_start..]);
    hex(&hasher.finalize())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hexadecimal, as digests are written in the store.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Header values meant to be one line: folding and control characters become
/// single spaces, so that nothing read here can break a header written later.
pub(super) fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn to_mailbox(addr: &mail_parser::Addr<'_>) -> Option<Mailbox> {
    let address = one_line(addr.address()?);
    if address.is_empty() || address.len() > MAX_MESSAGE_ID_BYTES {
        return None;
    }
    let name = addr.name().map(|n| crate::text::one_line(n, MAX_NAME_CHARS));
    // A plain address is kept in its compared form (lower-case, ASCII
    // domain); any other is kept as written, and the sender policy refuses it.
    let address = super::address::plain(&address).unwrap_or(address);
    Some(Mailbox::new(&address, name.as_deref()))
}

fn first_mailbox(address: &Address<'_>) -> Option<Mailbox> {
    address.iter().find_map(to_mailbox)
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    address.map(|a| a.iter().filter_map(to_mailbox).take(MAX_RECIPIENTS).collect()).unwrap_or_default()
}

/// How many envelope recipients are kept: a real mail has one per hop
/// that recorded it, a hostile one could have thousands.
const MAX_DELIVERED_TO: usize = 20;

/// The addresses of every `Delivered-To` and `X-Original-To` header, in
/// header order, each once. These headers hold a bare address (Postfix,
/// Dovecot, Exim, Gmail write them so); angle brackets are tolerated.
fn delivered_to(message: &Message<'_>) -> Vec<Mailbox> {
    let mut out: Vec<Mailbox> = Vec::new();
    let values = message
        .headers_raw()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Delivered-To") || name.eq_ignore_ascii_case("X-Original-To"))
        .flat_map(|(_, value)| value.split(','));
    for value in values {
        let value = value.trim();
        let address = match (value.find('<'), value.rfind('>')) {
            (Some(start), Some(end)) if start < end => &value[start + 1..end],
            _ => value,
        };
        let address = one_line(address);
        let plausible =
            address.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty()) && !address.contains(' ');
        if !plausible {
            continue;
        }
        let mailbox = Mailbox::new(&address, None);
        if !out.contains(&mailbox) {
            out.push(mailbox);
        }
        if out.len() == MAX_DELIVERED_TO {
            break;
        }
    }
    out
}

/// The usable Message-IDs of In-Reply-To or References, the last
/// [`MAX_THREAD_IDS`] of them (the newest, which thread best).
fn message_ids(raw: Option<&str>) -> Vec<String> {
    static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<([^<>\s]+)>").expect("static regex"));
    let Some(raw) = raw else { return Vec::new() };
    let mut ids: Vec<String> = ID
        .captures_iter(raw)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .filter(|id| is_usable_message_id(id))
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        // Some clients write a bare id without brackets.
        ids = raw.split_whitespace().filter(|w| is_usable_message_id(w)).map(str::to_string).collect();
    }
    let excess = ids.len().saturating_sub(MAX_THREAD_IDS);
    ids.drain(..excess);
    ids
}

/// How many `Authentication-Results` headers are kept, and how long each:
/// the one believed is near the top, added by the institution's server.
const MAX_AUTH_RESULTS: usize = 16;
const MAX_AUTH_RESULT_CHARS: usize = 4096;

fn authentication_results(message: &Message<'_>) -> Vec<String> {
    message
        .headers_raw()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Authentication-Results"))
        .take(MAX_AUTH_RESULTS)
        .map(|(_, value)| crate::text::one_line(value, MAX_AUTH_RESULT_CHARS))
        .collect()
}

/// The relay's address in the topmost `Received` header's from clause
/// (`from host (rdns [192.0.2.1]) by …`), written by the last server.
fn relay_ip(message: &Message<'_>) -> Option<std::net::IpAddr> {
    let (_, received) = message.headers_raw().find(|(name, _)| name.eq_ignore_ascii_case("Received"))?;
    let received = &received[..received.len().min(2048)];
    let lower = one_line(received).to_ascii_lowercase();
    let from_clause = lower.split(" by ").next().unwrap_or("");
    from_clause.split('[').skip(1).find_map(|rest| {
        let inside = rest.split(']').next()?;
        inside.trim_start_matches("ipv6:").parse().ok()
    })
}

/// The parts that make the body a person reads: the text parts, else the
/// HTML parts, else unnamed text parts that mail-parser filed as attachments
/// (what it does with a part whose closing boundary never came: a truncated
/// mail still shows what could be read).
fn body_parts(message: &Message<'_>) -> Vec<u32> {
    if !message.text_body.is_empty() {
        return message.text_body.clone();
    }
    if !message.html_body.is_empty() {
        return message.html_body.clone();
    }
    message
        .attachments
        .iter()
        .copied()
        .filter(|id| {
            message.part(*id).is_some_and(|p| {
                matches!(p.body, PartType::Text(_) | PartType::Html(_)) && p.attachment_name().is_none()
            })
        })
        .collect()
}

/// The text a person reads: every body part in order, HTML converted, at
/// most [`MAX_TEXT_BYTES`] of it (and [`MAX_HTML_BYTES`] of HTML rendered),
/// so that what a mail costs does not grow with what a sender puts in it.
fn readable_text(message: &Message<'_>, ids: &[u32], defects: &mut Vec<String>) -> String {
    let mut text = String::new();
    let mut html_left = MAX_HTML_BYTES;
    let (mut flattened, mut cut) = (false, false);
    for &id in ids {
        if text.len() > MAX_TEXT_BYTES {
            cut = true;
            break;
        }
        let Some(part) = message.part(id) else { continue };
        if part.is_encoding_problem {
            defects.push(format!("part {id}: body could not be fully decoded"));
        }
        let piece = match &part.body {
            PartType::Text(piece) => match flowed_delsp(part) {
                Some(delsp) => flowed::unflow(piece, delsp).into(),
                None => piece.clone(),
            },
            PartType::Html(html) => {
                if html_left == 0 {
                    cut = true;
                    continue;
                }
                let converted = body::html_to_text(html, html_left);
                html_left = html_left.saturating_sub(html.len());
                flattened |= converted.flattened;
                cut |= converted.cut;
                converted.text.into()
            }
            _ => continue,
        };
        if !text.is_empty() {
            text.push('\n');
        }
        let room = (MAX_TEXT_BYTES + 1).saturating_sub(text.len());
        text.push_str(head(&piece, room));
    }
    if flattened {
        defects.push(format!("HTML nested deeper than {} levels was flattened", super::markup::MAX_DEPTH));
    }
    let text = text.replace("\r\n", "\n");
    let text = text.trim_matches(['\n', ' ', '\t']);
    if cut || text.len() > MAX_TEXT_BYTES {
        defects.push(format!("the text was cut at {} KiB; the raw copy keeps all of it", MAX_TEXT_BYTES / 1024));
    }
    head(text, MAX_TEXT_BYTES).to_string()
}

/// `Some(delsp)` when the part is `text/plain; format=flowed` (RFC 3676).
fn flowed_delsp(part: &mail_parser::MessagePart<'_>) -> Option<bool> {
    let ct = part.content_type()?;
    let flowed = ct.attribute("format").is_some_and(|f| f.trim().eq_ignore_ascii_case("flowed"));
    flowed.then(|| ct.attribute("delsp").is_some_and(|d| d.trim().eq_ignore_ascii_case("yes")))
}

/// The first `max` bytes of `s` at most, cut at a line end when there is
/// one in the last quarter, else at a character boundary.
pub(super) fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    match s[..end].rfind('\n') {
        Some(line_end) if line_end >= end - end / 4 => &s[..line_end],
        _ => &s[..end],
    }
}

mod files;
#[cfg(test)]
mod files_tests;
mod flowed;
use files::attachments;
#[cfg(test)]
mod tests;
