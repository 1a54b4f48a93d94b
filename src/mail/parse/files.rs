//! The files of a mail: every part that is not its text, wherever the
//! sender's client put it, with a safe name, its type, whether it was shown
//! inline, and its Content-ID.

use mail_parser::{Message, MimeHeaders, PartType};

use super::{MAX_MESSAGE_ID_BYTES, one_line, safe_filename, sha256_hex};
use crate::mail::Attachment;

pub(super) fn attachments(message: &Message<'_>, body_parts: &[u32], defects: &mut Vec<String>) -> Vec<Attachment> {
    let mut out = Vec::new();
    // A body part that is not text is a file all the same: mail-parser lists
    // an image, audio or video part that sits inline in a multipart/mixed
    // (between text parts, as Apple Mail and phones send photos) among the
    // body parts, and it must be kept and counted like any attachment.
    let is_text = |part: &&mail_parser::MessagePart<'_>| matches!(part.body, PartType::Text(_) | PartType::Html(_));
    let files = message
        .attachments
        .iter()
        .filter_map(|id| Some((id, message.part(*id)?)))
        .filter(|(id, part)| !body_parts.contains(id) || !is_text(part))
        .map(|(_, part)| part);
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
        let inline = matches!(part.body, PartType::InlineBinary(_))
            || part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"))
            || (part.content_id().is_some() && part.content_disposition().is_none());
        out.push(Attachment {
            filename,
            size: content.len(),
            sha256: sha256_hex(content),
            content_type,
            inline,
            content_id: part.content_id().and_then(content_id),
            content: content.to_vec(),
        });
    }
    out
}

/// A Content-ID fit to be written again in a header: one token of printable
/// ASCII without brackets or quotes, of a sane length.
fn content_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let usable = !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\' | b','));
    usable.then(|| id.to_string())
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
