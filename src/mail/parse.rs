//! Raw bytes to [`InboundMail`]. Everything a real mailbox holds must come
//! out readable or with a reason: encoded words in any charset, QP and base64,
//! HTML-only bodies, nested multiparts, attachments with hostile names, and
//! mail without Message-ID, Date or Subject. mail-parser does the MIME work;
//! this module decides what mailgate keeps of it.

use std::sync::LazyLock;

use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};
use regex::Regex;
use sha2::{Digest, Sha256};

use super::{Attachment, AutomationSignals, InboundMail, Mailbox, body};

/// The domain of Message-IDs that mailgate derives for mail that has none;
/// `.invalid` is reserved (RFC 2606), so it cannot collide with a real one.
pub const DERIVED_ID_DOMAIN: &str = "mailgate.invalid";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("not a mail message: no header could be read")]
    NoHeaders,
}

/// Parses one message. Fails only when nothing mail-like can be read; any
/// lesser damage (unknown charset, truncated MIME) is noted in `defects`.
pub fn parse(raw: &[u8]) -> Result<InboundMail, ParseError> {
    let message = MessageParser::default().parse(raw).ok_or(ParseError::NoHeaders)?;
    if message.headers().is_empty() {
        return Err(ParseError::NoHeaders);
    }
    let content_hash = content_hash(raw, &message);
    let (message_id, message_id_derived) = match message.message_id().map(str::trim) {
        Some(id) if !id.is_empty() => (one_line(id), false),
        _ => (format!("{}@{DERIVED_ID_DOMAIN}", &content_hash[..32]), true),
    };
    let mut defects = Vec::new();
    let body_parts = body_parts(&message);
    let text = readable_text(&message, &body_parts, &mut defects);
    let attachments = attachments(&message, &body_parts, &mut defects);

    Ok(InboundMail {
        message_id,
        message_id_derived,
        content_hash,
        from: message.from().and_then(first_mailbox),
        reply_to: message.reply_to().and_then(first_mailbox),
        to: mailboxes(message.to()),
        cc: mailboxes(message.cc()),
        delivered_to: delivered_to(&message),
        subject: message.subject().map(one_line).unwrap_or_default(),
        date: message.date().map(|d| d.to_timestamp()),
        in_reply_to: message_ids(message.header_raw("In-Reply-To")),
        references: message_ids(message.header_raw("References")),
        automation: automation_signals(&message),
        text,
        attachments,
        defects,
    })
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Header values meant to be one line: folding and control characters become
/// single spaces, so that nothing read here can break a header written later.
fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn to_mailbox(addr: &mail_parser::Addr<'_>) -> Option<Mailbox> {
    let address = one_line(addr.address()?);
    if address.is_empty() {
        return None;
    }
    Some(Mailbox::new(&address, addr.name().map(one_line).as_deref()))
}

fn first_mailbox(address: &Address<'_>) -> Option<Mailbox> {
    address.iter().find_map(to_mailbox)
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    address.map(|a| a.iter().filter_map(to_mailbox).collect()).unwrap_or_default()
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

fn message_ids(raw: Option<&str>) -> Vec<String> {
    static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<([^<>\s]+)>").expect("static regex"));
    let Some(raw) = raw else { return Vec::new() };
    let ids: Vec<String> = ID.captures_iter(raw).filter_map(|c| c.get(1)).map(|m| m.as_str().to_string()).collect();
    if ids.is_empty() {
        // Some clients write a bare id without brackets.
        raw.split_whitespace().filter(|w| w.contains('@')).map(str::to_string).collect()
    } else {
        ids
    }
}

fn automation_signals(message: &Message<'_>) -> AutomationSignals {
    let lower = |name: &str| message.header_raw(name).map(|v| v.split(';').next().unwrap_or("").trim().to_lowercase());
    let present = |name: &str| message.header_raw(name).is_some();
    AutomationSignals {
        auto_submitted: lower("Auto-Submitted"),
        x_autoreply: present("X-Autoreply") || present("X-Autorespond"),
        precedence: lower("Precedence"),
        list_id: present("List-Id"),
        list_unsubscribe: present("List-Unsubscribe"),
        multipart_report: message.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
        }),
        empty_return_path: message
            .header_raw("Return-Path")
            .is_some_and(|v| v.chars().filter(|c| !c.is_whitespace()).collect::<String>() == "<>"),
    }
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

/// The text a person reads: every body part in order, HTML converted.
fn readable_text(message: &Message<'_>, ids: &[u32], defects: &mut Vec<String>) -> String {
    let mut pieces = Vec::new();
    for &id in ids {
        let Some(part) = message.part(id) else { continue };
        if part.is_encoding_problem {
            defects.push(format!("part {id}: body could not be fully decoded"));
        }
        match &part.body {
            PartType::Text(text) => pieces.push(text.to_string()),
            PartType::Html(html) => pieces.push(body::html_to_text(html)),
            _ => {}
        }
    }
    let text = pieces.join("\n").replace("\r\n", "\n");
    text.trim_matches(['\n', ' ', '\t']).to_string()
}

fn attachments(message: &Message<'_>, body_parts: &[u32], defects: &mut Vec<String>) -> Vec<Attachment> {
    let mut out = Vec::new();
    let files = message.attachments.iter().filter(|id| !body_parts.contains(id)).filter_map(|id| message.part(*id));
    for (n, part) in files.enumerate() {
        let content: &[u8] = match &part.body {
            PartType::Multipart(_) => continue,
            _ => part.contents(),
        };
        if part.is_encoding_problem {
            defects.push(format!("attachment {}: content could not be fully decoded", n + 1));
        }
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .map(|ct| one_line(&ct).to_lowercase())
            .filter(|ct| !ct.is_empty())
            .unwrap_or_else(|| "application/octet-stream".into());
        let filename = match part.attachment_name() {
            Some(name) => safe_filename(name),
            None => match &part.body {
                PartType::Message(m) => safe_filename(&format!("{}.eml", m.subject().unwrap_or("message"))),
                _ => format!("attachment-{}{}", n + 1, extension_for(&content_type)),
            },
        };
        let inline = part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"))
            || (part.content_id().is_some() && part.content_disposition().is_none());
        out.push(Attachment {
            filename,
            size: content.len(),
            sha256: sha256_hex(content),
            content_type,
            inline,
            content: content.to_vec(),
        });
    }
    out
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "application/pdf" => ".pdf",
        "message/rfc822" => ".eml",
        "text/plain" => ".txt",
        "text/html" => ".html",
        _ => ".bin",
    }
}

#[cfg(test)]
mod tests;
