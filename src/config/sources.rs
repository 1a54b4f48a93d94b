//! The `[[sources]]` of the configuration: where mail comes from. A Maildir
//! needs a path; an IMAP mailbox needs a server, a TLS mode, credentials and
//! folders. Secrets are read here, from a file or the environment, so that
//! a missing password stops the start rather than the first login.

use std::path::PathBuf;

use super::connection::{self, TlsMode};
use super::raw::RawSource;
use super::secret::{Secret, SecretSource};

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SourceConfig {
    Maildir { name: String, path: PathBuf, poll_seconds: u64 },
    Imap(ImapConfig),
}

impl SourceConfig {
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::Maildir { name, .. } => name,
            SourceConfig::Imap(imap) => &imap.name,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImapConfig {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
    pub username: String,
    pub password: Secret,
    pub password_source: SecretSource,
    pub folder: String,
    pub processed_folder: Option<String>,
    pub refused_folder: Option<String>,
    pub poll_seconds: u64,
    pub batch_size: usize,
    pub idle: bool,
}

pub(super) use super::connection::KeyError;

/// Validates one `[[sources]]` entry; `warnings` collects what is allowed
/// but unwise (an inline password).
pub(super) fn validate(
    i: usize,
    s: &RawSource,
    resolve: &dyn Fn(&str) -> PathBuf,
    warnings: &mut Vec<String>,
) -> Result<SourceConfig, KeyError> {
    let key = |k: &str| format!("sources[{i}].{k}");
    let err = |k: &str, m: String| (key(k), m);
    let poll_seconds = s.poll_seconds.unwrap_or(if s.kind == "imap" { 60 } else { 5 });
    if poll_seconds == 0 {
        return Err(err("poll_seconds", "expected a number of seconds above 0".into()));
    }
    let name = s.name.clone().unwrap_or_else(|| format!("{}-{}", s.kind, i + 1));
    let only = |allowed: &[&str]| -> Result<(), KeyError> {
        let present = [
            ("path", s.path.is_some()),
            ("host", s.host.is_some()),
            ("port", s.port.is_some()),
            ("tls", s.tls.is_some()),
            ("ca_file", s.ca_file.is_some()),
            ("username", s.username.is_some()),
            ("password", s.password.is_some()),
            ("password_file", s.password_file.is_some()),
            ("password_env", s.password_env.is_some()),
            ("folder", s.folder.is_some()),
            ("processed_folder", s.processed_folder.is_some()),
            ("refused_folder", s.refused_folder.is_some()),
            ("batch_size", s.batch_size.is_some()),
            ("idle", s.idle.is_some()),
        ];
        match present.iter().find(|(k, set)| *set && !allowed.contains(k)) {
            Some((k, _)) => Err(err(k, format!("is not a key of a {} source", s.kind))),
            None => Ok(()),
        }
    };
    match s.kind.as_str() {
        "maildir" => {
            only(&["path"])?;
            let path = s.path.as_deref().filter(|p| !p.trim().is_empty()).ok_or_else(|| {
                err("path", "expected the path of a Maildir folder (holding new/, cur/, tmp/)".into())
            })?;
            Ok(SourceConfig::Maildir { name, path: resolve(path), poll_seconds })
        }
        "imap" => {
            let host =
                s.host.clone().filter(|h| !h.trim().is_empty()).ok_or_else(|| {
                    err("host", "expected the IMAP server's name, e.g. \"imap.ac-exemple.fr\"".into())
                })?;
            let tls = connection::tls_mode(&host, s.tls.as_deref()).map_err(|m| err("tls", m))?;
            let ca_file = connection::ca_file(s.ca_file.as_deref(), resolve).map_err(|m| err("ca_file", m))?;
            let username = s
                .username
                .clone()
                .filter(|u| !u.is_empty())
                .ok_or_else(|| err("username", "expected the mailbox's login".into()))?;
            let given = connection::PasswordKeys {
                password: s.password.as_deref(),
                password_file: s.password_file.as_deref(),
                password_env: s.password_env.as_deref(),
            };
            let (password, password_source) = connection::password(&given, resolve, &key, warnings)?;
            let batch_size = s.batch_size.unwrap_or(100);
            if !(1..=10_000).contains(&batch_size) {
                return Err(err("batch_size", format!("expected 1 to 10000 messages per fetch, got {batch_size}")));
            }
            Ok(SourceConfig::Imap(ImapConfig {
                name,
                port: s.port.unwrap_or(if tls == TlsMode::Implicit { 993 } else { 143 }),
                host,
                tls,
                ca_file,
                username,
                password,
                password_source,
                folder: s.folder.clone().unwrap_or_else(|| "INBOX".into()),
                processed_folder: s.processed_folder.clone().filter(|f| !f.is_empty()),
                refused_folder: s.refused_folder.clone().filter(|f| !f.is_empty()),
                poll_seconds,
                batch_size,
                idle: s.idle.unwrap_or(true),
            }))
        }
        other => Err(err("kind", format!("expected \"maildir\" or \"imap\", got \"{other}\""))),
    }
}
