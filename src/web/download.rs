//! A stored file as a download, the same answer for the requester's pages
//! and the staff's: always `Content-Disposition: attachment` (with the name
//! as old clients read it and as RFC 5987 spells it), and the stored
//! content type only for images a browser shows as they are; anything else
//! is bytes to save, so a file a stranger mailed in never runs as a page of
//! ours.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::store::PublicFileBytes;

/// Images a browser shows as they are; anything else is bytes to save.
const SAFE_IMAGES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The answer that hands `file` over.
pub(crate) fn answer(file: PublicFileBytes) -> Response {
    let kind = file.content_type.to_ascii_lowercase();
    let kind = if SAFE_IMAGES.contains(&kind.as_str()) { kind } else { "application/octet-stream".to_string() };
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(&file.filename),
        encoded(&file.filename)
    );
    ([(header::CONTENT_TYPE, kind), (header::CONTENT_DISPOSITION, disposition)], file.bytes).into_response()
}

/// The file name for old clients: ASCII letters, digits, `.-_ `, else `_`.
fn ascii_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect()
}

/// RFC 5987 percent-encoding of the name.
fn encoded(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(filename: &str, content_type: &str) -> (String, String) {
        let file =
            PublicFileBytes { filename: filename.into(), content_type: content_type.into(), bytes: b"x".to_vec() };
        let answer = answer(file);
        let get = |name| answer.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        (get(header::CONTENT_TYPE), get(header::CONTENT_DISPOSITION))
    }

    #[test]
    fn only_a_safe_image_keeps_its_type_and_every_file_is_an_attachment() {
        let cases = [
            ("photo.png", "image/PNG", "image/png"),
            ("photo.jpg", "image/jpeg", "image/jpeg"),
            ("page.html", "text/html", "application/octet-stream"),
            ("dessin.svg", "image/svg+xml", "application/octet-stream"),
            ("note.pdf", "application/pdf", "application/octet-stream"),
        ];
        for (name, stored, served) in cases {
            let (kind, disposition) = headers(name, stored);
            assert_eq!(kind, served, "{name}");
            assert!(disposition.starts_with("attachment;"), "{name}: {disposition}");
        }
    }

    #[test]
    fn a_name_cannot_break_out_of_its_header_field() {
        let (_, disposition) = headers("a\"b;c\\d é.txt", "text/plain");
        assert_eq!(disposition, "attachment; filename=\"a_b_c_d _.txt\"; filename*=UTF-8''a%22b%3Bc%5Cd%20%C3%A9.txt");
    }
}
