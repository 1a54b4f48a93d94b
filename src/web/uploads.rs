//! The multipart forms of the pages (a requester's followup, a
//! technician's answer), read with the bounds a mail is held to: each file
//! at most `limits.max_attachment_bytes` (checked as it streams in, so an
//! oversized file is not kept in memory whole), at most
//! `limits.max_web_files` files, and a few text fields. A form past a
//! bound is refused whole: nothing of it reaches the writer. Its link and
//! CSRF field (hidden fields, which browsers send first) are checked before
//! the first file is read, so a stranger cannot make the server hold
//! megabytes for a form it will refuse.

use std::collections::HashMap;

use axum::extract::Multipart;

use super::desk::Upload;
use crate::config::Limits;

/// Text fields a form may carry besides its files (k, csrf, text,
/// private…); more is not one of our forms.
const MAX_TEXT_FIELDS: usize = 8;

/// Why a form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("the form could not be read")]
    Malformed,
    #[error("the form's link or field came too late or is not valid")]
    Unauthorised,
    #[error("the file \"{name}\" is larger than {max} bytes")]
    FileTooLarge { name: String, max: u64 },
    #[error("the form carries more than {max} files")]
    TooManyFiles { max: usize },
}

/// A form's text fields (by name, the last one wins) and files.
#[derive(Debug, Default)]
pub struct Posted {
    pub fields: HashMap<String, String>,
    pub files: Vec<Upload>,
}

impl Posted {
    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

/// Reads `form`: text fields by name, and the non-empty files of the
/// `files` field; at the first file, the fields read so far must satisfy
/// `authorised`.
pub async fn read(
    mut form: Multipart,
    limits: &Limits,
    authorised: impl Fn(&Posted) -> bool,
) -> Result<Posted, UploadError> {
    let mut posted = Posted::default();
    let mut text_fields = 0usize;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(posted),
            Err(_) => return Err(UploadError::Malformed),
        };
        let name = field.name().unwrap_or("").to_string();
        let filename = field.file_name().map(str::to_string);
        let kind = field.content_type().unwrap_or("application/octet-stream").to_string();
        let is_file = name == "files";
        if is_file && posted.files.is_empty() && !authorised(&posted) {
            return Err(UploadError::Unauthorised);
        }
        if is_file && posted.files.len() >= limits.max_web_files {
            return Err(UploadError::TooManyFiles { max: limits.max_web_files });
        }
        if !is_file {
            text_fields += 1;
            if text_fields > MAX_TEXT_FIELDS {
                return Err(UploadError::Malformed);
            }
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| UploadError::Malformed)? {
            bytes.extend_from_slice(&chunk);
            if is_file && bytes.len() as u64 > limits.max_attachment_bytes {
                let name = crate::text::one_line(filename.as_deref().unwrap_or(""), 200);
                return Err(UploadError::FileTooLarge { name, max: limits.max_attachment_bytes });
            }
        }
        if is_file {
            if let Some(filename) = filename.filter(|n| !n.is_empty() && !bytes.is_empty()) {
                posted.files.push(Upload { filename, content_type: kind, bytes });
            }
        } else {
            posted.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
}
