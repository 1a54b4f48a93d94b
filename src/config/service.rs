//! The daemon's own settings, as opposed to the helpdesk's: how much one
//! mail may cost (`[limits]`), what it logs (`[logging]`), and where it
//! answers the operators' scraper (`[metrics]`). Each is validated here into
//! its checked form; an error names its key, for [`super::ConfigError`].

use super::raw::{RawLimits, RawLogging, RawMetrics};

type Invalid = (String, String);

fn invalid(key: &str, message: String) -> Invalid {
    (key.to_string(), message)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Limits {
    pub max_message_bytes: u64,
    pub max_attachment_bytes: u64,
    pub max_observers: usize,
    /// Files one web form (a followup, an answer) may carry.
    pub max_web_files: usize,
    /// The work budget of reading one mail (parsing, HTML to text), in
    /// seconds; past it the mail is recorded as refused.
    pub max_read_seconds: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Logging {
    pub level: String,
    pub format: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MetricsConfig {
    pub listen: std::net::SocketAddr,
    /// How long a source that worked before may keep failing before
    /// /healthz answers 503 (a server restart should not page anyone).
    pub unhealthy_after_seconds: u64,
    /// How long a source may take to connect the first time before
    /// /healthz answers 503 for it.
    pub start_grace_seconds: u64,
}

impl MetricsConfig {
    /// The thresholds when there is no `[metrics]` section: they still
    /// shape the status line systemd shows.
    pub const DEFAULT_UNHEALTHY_AFTER_SECONDS: u64 = 300;
    pub const DEFAULT_START_GRACE_SECONDS: u64 = 30;
}

/// `[limits]`, with their defaults: 30 MiB a mail, 20 MiB of files, 50
/// observers, 20 files a web form, 10 s to read a mail.
pub(super) fn validate_limits(raw: &RawLimits) -> Result<Limits, Invalid> {
    let limits = Limits {
        max_message_bytes: raw.max_message_bytes.unwrap_or(30 * 1024 * 1024),
        max_attachment_bytes: raw.max_attachment_bytes.unwrap_or(20 * 1024 * 1024),
        max_observers: raw.max_observers.unwrap_or(50),
        max_web_files: raw.max_web_files.unwrap_or(20),
        max_read_seconds: raw.max_read_seconds.unwrap_or(10),
    };
    if limits.max_read_seconds == 0 {
        return Err(invalid("limits.max_read_seconds", "expected a number of seconds above 0".into()));
    }
    if !(1..=1000).contains(&limits.max_web_files) {
        return Err(invalid("limits.max_web_files", format!("expected 1 to 1000, got {}", limits.max_web_files)));
    }
    if limits.max_message_bytes < 1024 {
        return Err(invalid("limits.max_message_bytes", "expected at least 1024 bytes".into()));
    }
    Ok(limits)
}

/// `[logging]`: a level and a format, "info" and "text" by default.
pub(super) fn validate_logging(raw: &RawLogging) -> Result<Logging, Invalid> {
    let level = raw.level.clone().unwrap_or_else(|| "info".into());
    if !["error", "warn", "info", "debug", "trace"].contains(&level.as_str()) {
        return Err(invalid(
            "logging.level",
            format!("expected one of error, warn, info, debug, trace, got \"{level}\""),
        ));
    }
    let format = raw.format.clone().unwrap_or_else(|| "text".into());
    if !["text", "json"].contains(&format.as_str()) {
        return Err(invalid("logging.format", format!("expected \"text\" or \"json\", got \"{format}\"")));
    }
    Ok(Logging { level, format })
}

/// `[metrics]`: its listener (a warning when it is not loopback) and the
/// health thresholds of /healthz.
pub(super) fn validate_metrics(m: &RawMetrics, warnings: &mut Vec<String>) -> Result<MetricsConfig, Invalid> {
    let text = m.listen.as_deref().unwrap_or("127.0.0.1:9187");
    let listen: std::net::SocketAddr = text.parse().map_err(|_| {
        invalid("metrics.listen", format!("expected an address and port such as \"127.0.0.1:9187\", got \"{text}\""))
    })?;
    if !listen.ip().is_loopback() {
        warnings.push(format!(
            "metrics.listen = \"{listen}\" is reachable from the network; the counts it shows are not secret, but keep it behind a firewall"
        ));
    }
    let unhealthy_after_seconds = m.unhealthy_after_seconds.unwrap_or(MetricsConfig::DEFAULT_UNHEALTHY_AFTER_SECONDS);
    let start_grace_seconds = m.start_grace_seconds.unwrap_or(MetricsConfig::DEFAULT_START_GRACE_SECONDS);
    for (key, value) in
        [("unhealthy_after_seconds", unhealthy_after_seconds), ("start_grace_seconds", start_grace_seconds)]
    {
        if !(1..=86_400).contains(&value) {
            return Err(invalid(&format!("metrics.{key}"), format!("expected 1 to 86400 seconds, got {value}")));
        }
    }
    Ok(MetricsConfig { listen, unhealthy_after_seconds, start_grace_seconds })
}
