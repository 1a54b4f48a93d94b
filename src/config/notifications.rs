//! The `[notifications]` section: who notifications come from, how they
//! leave (an `.eml` file per notification, or SMTP through the institution's
//! relay), how a temporary failure is retried, the per-address rate guard
//! that stops a loop with a misconfigured responder from storming, and when
//! the optional daily digest goes out.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox as LettreMailbox;

use super::connection::{self, KeyError, PasswordKeys, TlsMode};
use super::raw::{RawNotifications, RawRetry};
use super::secret::{Secret, SecretSource};
use super::show;

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "transport", rename_all = "lowercase")]
pub enum TransportConfig {
    /// lettre's file transport: one `.eml` file per notification.
    File { dir: PathBuf },
    /// SMTP submission to the institution's relay (or a local MTA).
    Smtp(SmtpConfig),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
    /// None: the relay takes mail without authentication (a local MTA).
    pub credentials: Option<SmtpCredentials>,
    /// Connections kept open and used side by side.
    pub pool_size: u32,
    #[serde(with = "seconds")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SmtpCredentials {
    pub username: String,
    pub password: Secret,
    pub password_source: SecretSource,
}

/// How the outbox retries a temporary failure: exponential from
/// `first_delay`, capped at `max_delay`, with jitter; failed after
/// `max_attempts`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct RetryConfig {
    #[serde(with = "seconds")]
    pub first_delay: Duration,
    #[serde(with = "seconds")]
    pub max_delay: Duration,
    pub max_attempts: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig { first_delay: Duration::from_secs(30), max_delay: Duration::from_secs(3600), max_attempts: 12 }
    }
}

/// What one notification may carry in files by default: 10 MiB, which
/// every mail server of an institution takes once encoded.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 10 << 20;
/// The most earlier followups a notification may quote: each is up to
/// 16 KiB, and a notification must stay a mail a person reads.
pub const MAX_HISTORY_FOLLOWUPS: u32 = 10;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Notifications {
    /// The support mailbox: sender of every notification and mailgate's own
    /// address, which it never answers.
    #[serde(serialize_with = "show::mailbox")]
    pub from: LettreMailbox,
    pub transport: TransportConfig,
    pub templates_dir: Option<PathBuf>,
    pub notify_technicians_on_new: bool,
    pub retry: RetryConfig,
    /// Past this many notifications to one address in an hour, further ones
    /// are held for an operator (`mailgate outbox retry`). 0: no limit.
    pub max_per_address_per_hour: u32,
    /// When the daily digest of open tickets is queued, in the machine's
    /// local time; None: no digest.
    pub digest_at: Option<TimeOfDay>,
    /// The most bytes of files one notification carries; past it, the files
    /// are listed by name and size instead. 0: files are only listed.
    pub max_attachment_bytes: u64,
    /// How many earlier public followups a notification quotes below its news.
    pub history_followups: usize,
    /// This mailgate's name in its Message-IDs, so that two mailgates of one
    /// domain never take each other's notifications for their own.
    pub instance: String,
}

/// A time of day, "HH:MM", as written in `notifications.digest_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
}

impl TimeOfDay {
    /// "07:30" or "7:30"; the minutes always have two digits.
    pub fn parse(text: &str) -> Option<TimeOfDay> {
        let (hour, minute) = text.trim().split_once(':')?;
        let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
            (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u8>().ok()).flatten()
        };
        let (hour, minute) = (digits(hour, 1..=2)?, digits(minute, 2..=2)?);
        (hour < 24 && minute < 60).then_some(TimeOfDay { hour, minute })
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl serde::Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Notifications {
    /// mailgate's own address, lower-cased.
    pub fn own_address(&self) -> String {
        self.from.email.to_string().to_lowercase()
    }

    /// The domain of mailgate's Message-IDs.
    pub fn message_id_domain(&self) -> String {
        self.from.email.domain().to_lowercase()
    }
}

/// The default instance name: the support mailbox's local part, in the
/// characters a Message-ID's name takes (`support-informatique`).
fn instance_from(local_part: &str) -> String {
    let name: String = local_part
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' })
        .take(32)
        .collect();
    let name = name.trim_matches('-');
    if name.is_empty() { "mailgate".into() } else { name.to_string() }
}

/// Keys that belong to one transport only.
const FILE_KEYS: &[&str] = &["dir"];
const SMTP_KEYS: &[&str] = &[
    "host",
    "port",
    "tls",
    "ca_file",
    "username",
    "password",
    "password_file",
    "password_env",
    "pool_size",
    "timeout_seconds",
];

pub(super) fn validate(
    n: &RawNotifications,
    resolve: &dyn Fn(&str) -> PathBuf,
    warnings: &mut Vec<String>,
) -> Result<Notifications, KeyError> {
    let key = |k: &str| format!("notifications.{k}");
    let err = |k: &str, m: String| (key(k), m);
    let from: LettreMailbox = n.from.parse().map_err(|e| {
        err("from", format!("expected a mailbox such as \"Support <support@ac-exemple.fr>\", got \"{}\" ({e})", n.from))
    })?;
    let present = |k: &str| n.present(k);
    let transport = match n.transport.as_str() {
        "file" => {
            if let Some(k) = SMTP_KEYS.iter().find(|k| present(k)) {
                return Err(err(k, "is a key of transport = \"smtp\", not \"file\"".into()));
            }
            TransportConfig::File {
                dir: resolve(n.dir.as_deref().ok_or_else(|| {
                    err("dir", "expected a folder for the .eml files when transport = \"file\"".into())
                })?),
            }
        }
        "smtp" => {
            if let Some(k) = FILE_KEYS.iter().find(|k| present(k)) {
                return Err(err(k, "is a key of transport = \"file\", not \"smtp\"".into()));
            }
            TransportConfig::Smtp(smtp(n, resolve, &key, warnings)?)
        }
        other => return Err(err("transport", format!("expected \"file\" or \"smtp\", got \"{other}\""))),
    };
    let instance = match n.instance.as_deref() {
        Some(id) => {
            let ok = !id.is_empty()
                && id.len() <= 32
                && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(err("instance", format!("expected 1 to 32 of a-z, 0-9 and -, got \"{id}\"")));
            }
            id.to_string()
        }
        None => instance_from(from.email.user()),
    };
    Ok(Notifications {
        instance,
        from,
        transport,
        templates_dir: n.templates_dir.as_deref().map(resolve),
        notify_technicians_on_new: n.notify_technicians_on_new.unwrap_or(true),
        retry: retry(n.retry.as_ref())?,
        max_per_address_per_hour: n.max_per_address_per_hour.unwrap_or(20),
        digest_at: match n.digest_at.as_deref() {
            None => None,
            Some(text) => Some(TimeOfDay::parse(text).ok_or_else(|| {
                err("digest_at", format!("expected a time of day \"HH:MM\" such as \"07:30\", got \"{text}\""))
            })?),
        },
        max_attachment_bytes: n.max_attachment_bytes.unwrap_or(DEFAULT_MAX_ATTACHMENT_BYTES),
        history_followups: match n.history_followups.unwrap_or(3) {
            n @ 0..=MAX_HISTORY_FOLLOWUPS => n as usize,
            other => {
                return Err(err(
                    "history_followups",
                    format!("expected 0 to {MAX_HISTORY_FOLLOWUPS} earlier followups to quote, got {other}"),
                ));
            }
        },
    })
}

fn smtp(
    n: &RawNotifications,
    resolve: &dyn Fn(&str) -> PathBuf,
    key: &dyn Fn(&str) -> String,
    warnings: &mut Vec<String>,
) -> Result<SmtpConfig, KeyError> {
    let err = |k: &str, m: String| (key(k), m);
    let host = n
        .host
        .clone()
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| err("host", "expected the SMTP relay's name, e.g. \"smtp.ac-exemple.fr\"".into()))?;
    let tls = connection::tls_mode(&host, n.tls.as_deref()).map_err(|m| err("tls", m))?;
    let ca_file = connection::ca_file(n.ca_file.as_deref(), resolve).map_err(|m| err("ca_file", m))?;
    let given = PasswordKeys {
        password: n.password.as_deref(),
        password_file: n.password_file.as_deref(),
        password_env: n.password_env.as_deref(),
    };
    let credentials = match (&n.username, given.any()) {
        (None, false) => None,
        (None, true) => return Err(err("username", "expected a login to go with the password".into())),
        (Some(username), _) => {
            let (password, password_source) = connection::password(&given, resolve, key, warnings)?;
            Some(SmtpCredentials { username: username.clone(), password, password_source })
        }
    };
    let pool_size = n.pool_size.unwrap_or(4);
    if !(1..=64).contains(&pool_size) {
        return Err(err("pool_size", format!("expected 1 to 64 connections, got {pool_size}")));
    }
    let timeout = n.timeout_seconds.unwrap_or(60);
    if timeout == 0 {
        return Err(err("timeout_seconds", "expected a number of seconds above 0".into()));
    }
    Ok(SmtpConfig {
        port: n.port.unwrap_or(match tls {
            TlsMode::Implicit => 465,
            TlsMode::Starttls => 587,
            TlsMode::None => 25,
        }),
        host,
        tls,
        ca_file,
        credentials,
        pool_size,
        timeout: Duration::from_secs(timeout),
    })
}

fn retry(raw: Option<&RawRetry>) -> Result<RetryConfig, KeyError> {
    let default = RetryConfig::default();
    let Some(r) = raw else { return Ok(default) };
    let err = |k: &str, m: String| (format!("notifications.retry.{k}"), m);
    let first = r.first_delay_seconds.unwrap_or(default.first_delay.as_secs());
    let max = r.max_delay_seconds.unwrap_or(default.max_delay.as_secs());
    let attempts = r.max_attempts.unwrap_or(default.max_attempts);
    if first == 0 {
        return Err(err("first_delay_seconds", "expected a number of seconds above 0".into()));
    }
    if max < first {
        return Err(err("max_delay_seconds", format!("expected at least first_delay_seconds ({first}), got {max}")));
    }
    if attempts == 0 {
        return Err(err("max_attempts", "expected at least 1 attempt".into()));
    }
    Ok(RetryConfig {
        first_delay: Duration::from_secs(first),
        max_delay: Duration::from_secs(max),
        max_attempts: attempts,
    })
}

/// Durations show as whole seconds in `check-config`.
mod seconds {
    pub fn serialize<S: serde::Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}
