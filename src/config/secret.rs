//! Secrets (passwords) as a type that never shows itself: `Debug`,
//! `Display` and serialisation all print a mask, so a secret cannot reach a
//! log line, `check-config` output or an error message by accident. The
//! value is read from a file or an environment variable; an inline value in
//! the configuration works but is warned about, since config files get
//! committed and copied around.

use std::fmt;
use std::path::Path;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// Where a secret came from, for `check-config` and warnings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    File(String),
    Env(String),
    Inline,
}

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that needs it (a login).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a secret file: the whole content, without the final newline
    /// editors add.
    pub fn from_file(path: &Path) -> std::io::Result<Secret> {
        let text = std::fs::read_to_string(path)?;
        Ok(Secret(text.trim_end_matches(['\n', '\r']).to_string()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("********")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_itself() {
        let s = Secret::new("hunter2".into());
        let shown = [format!("{s:?}"), format!("{s}"), serde_json::to_string(&s).unwrap_or_default()];
        for text in shown {
            assert!(!text.contains("hunter2"), "{text}");
        }
        assert_eq!(s.expose(), "hunter2");
    }
}
