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
    Maildir(MaildirConfig),
    Imap(ImapConfig),
}

impl SourceConfig {
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::Maildir(maildir) => &maildir.name,
            SourceConfig::Imap(imap) => &imap.name,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MaildirConfig {
    pub name: String,
    pub path: PathBuf,
    pub poll_seconds: u64,
    /// Mails read per batch at most…
    pub batch_size: usize,
    /// …and bytes: a batch stops before the mail that would pass this, so
    /// that a backlog of large mails is not held in memory at once.
    pub batch_bytes: u64,
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
    /// Bytes fetched per batch at most (a single larger mail goes alone).
    pub batch_bytes: u64,
    pub idle: bool,
    /// How long the server may take to answer one command (greeting, login,
    /// SELECT, SEARCH, each mail of a FETCH, MOVE, LOGOUT) before the
    /// session is dropped and retried.
    pub timeout_seconds: u64,
}

/// Default bytes per batch: enough for hundreds of ordinary mails, little
/// enough that a backlog of large ones does not take the memory.
const DEFAULT_BATCH_BYTES: u64 = 32 * 1024 * 1024;

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
            ("batch_bytes", s.batch_bytes.is_some()),
            ("idle", s.idle.is_some()),
            ("timeout_seconds", s.timeout_seconds.is_some()),
        ];
        match present.iter().find(|(k, set)| *set && !allowed.contains(k)) {
            Some((k, _)) => Err(err(k, format!("is not a key of a {} source", s.kind))),
            None => Ok(()),
        }
    };
    match s.kind.as_str() {
        "maildir" => {
            only(&["path", "batch_size", "batch_bytes"])?;
            let path = s.path.as_deref().filter(|p| !p.trim().is_empty()).ok_or_else(|| {
                err("path", "expected the path of a Maildir folder (holding new/, cur/, tmp/)".into())
            })?;
            Ok(SourceConfig::Maildir(MaildirConfig {
                name,
                path: resolve(path),
                poll_seconds,
                batch_size: batch_size(s, 500).map_err(|m| err("batch_size", m))?,
                batch_bytes: batch_bytes(s).map_err(|m| err("batch_bytes", m))?,
            }))
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
            let batch_size = batch_size(s, 100).map_err(|m| err("batch_size", m))?;
            let batch_bytes = batch_bytes(s).map_err(|m| err("batch_bytes", m))?;
            let timeout_seconds = s.timeout_seconds.unwrap_or(60);
            if !(1..=3600).contains(&timeout_seconds) {
                return Err(err(
                    "timeout_seconds",
                    format!("expected 1 to 3600 seconds for the server to answer a command, got {timeout_seconds}"),
                ));
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
                batch_bytes,
                idle: s.idle.unwrap_or(true),
                timeout_seconds,
            }))
        }
        other => Err(err("kind", format!("expected \"maildir\" or \"imap\", got \"{other}\""))),
    }
}

fn batch_size(s: &RawSource, default: usize) -> Result<usize, String> {
    let n = s.batch_size.unwrap_or(default);
    if (1..=10_000).contains(&n) { Ok(n) } else { Err(format!("expected 1 to 10000 messages per batch, got {n}")) }
}

fn batch_bytes(s: &RawSource) -> Result<u64, String> {
    let n = s.batch_bytes.unwrap_or(DEFAULT_BATCH_BYTES);
    // Below 64 KiB every batch would hold one mail: a mistake, not a choice.
    if n >= 64 * 1024 { Ok(n) } else { Err(format!("expected at least 65536 bytes per batch, got {n}")) }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, SourceConfig};

    const EXAMPLE: &str = include_str!("../../config.example.toml");
    const IMAP: &str = "[[sources]]\nkind = \"imap\"\nname = \"imap\"\nhost = \"127.0.0.1\"\ntls = \"none\"\nusername = \"u\"\npassword = \"p\"\n";

    /// The example with `maildir_extra` under its Maildir source and an IMAP
    /// source with `imap_extra` beside it; then `tail` appended.
    fn load(maildir_extra: &str, imap_extra: &str, tail: &str) -> Result<Config, String> {
        let text = EXAMPLE
            .replace("poll_seconds = 5 ", &format!("{maildir_extra}\npoll_seconds = 5 "))
            .replace("[institution]", &format!("{IMAP}{imap_extra}\n[institution]"))
            + tail;
        Config::from_toml(&text, Path::new("/etc/mailgate/mailgate.toml"), Path::new("/etc/mailgate"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn bounds_and_deadlines_have_defaults() {
        let config = load("", "", "").expect("loads");
        let (SourceConfig::Maildir(maildir), SourceConfig::Imap(imap)) = (&config.sources[0], &config.sources[1])
        else {
            panic!("a Maildir then an IMAP source");
        };
        assert_eq!((maildir.batch_size, maildir.batch_bytes), (500, 32 * 1024 * 1024));
        assert_eq!((imap.batch_size, imap.batch_bytes, imap.timeout_seconds), (100, 32 * 1024 * 1024, 60));
        let config = load("", "", "\n[metrics]\n").expect("loads");
        let metrics = config.metrics.expect("a listener");
        assert_eq!((metrics.unhealthy_after_seconds, metrics.start_grace_seconds), (300, 30));
    }

    #[test]
    fn out_of_range_bounds_and_deadlines_are_reported_by_key() {
        let cases = [
            ("", "timeout_seconds = 0", "", "sources[1].timeout_seconds: expected 1 to 3600 seconds"),
            ("", "batch_bytes = 1000", "", "sources[1].batch_bytes: expected at least 65536 bytes"),
            ("batch_bytes = 10", "", "", "sources[0].batch_bytes: expected at least 65536 bytes"),
            ("batch_size = 0", "", "", "sources[0].batch_size: expected 1 to 10000"),
            ("timeout_seconds = 5", "", "", "sources[0].timeout_seconds: is not a key of a maildir source"),
            (
                "",
                "",
                "\n[metrics]\nunhealthy_after_seconds = 0\n",
                "metrics.unhealthy_after_seconds: expected 1 to 86400",
            ),
            ("", "", "\n[metrics]\nstart_grace_seconds = 0\n", "metrics.start_grace_seconds: expected 1 to 86400"),
        ];
        for (maildir, imap, tail, expected) in cases {
            match load(maildir, imap, tail) {
                Ok(_) => panic!("accepted: {maildir}{imap}{tail}"),
                Err(e) => assert!(e.contains(expected), "{maildir}{imap}{tail}: {e}"),
            }
        }
    }
}
