//! The configuration file exactly as written: serde structs that mirror the
//! TOML, with `deny_unknown_fields` so that a misspelt key stops the start
//! instead of being silently ignored. Validation and defaults that depend on
//! other values live in [`super::Config`].

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database: RawDatabase,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    pub institution: RawInstitution,
    #[serde(default)]
    pub intake: RawIntake,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub tickets: RawTickets,
    pub notifications: RawNotifications,
    #[serde(default)]
    pub technicians: Vec<RawTechnician>,
    #[serde(default)]
    pub entities: Vec<RawEntity>,
    #[serde(default)]
    pub groups: Vec<RawGroup>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub logging: RawLogging,
    pub metrics: Option<RawMetrics>,
    pub trust: Option<super::trust::RawTrust>,
    pub web: Option<super::web::RawWeb>,
    pub staff_web: Option<super::web_staff::RawStaffWeb>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDatabase {
    pub path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub kind: String,
    pub name: Option<String>,
    pub poll_seconds: Option<u64>,
    // maildir
    pub path: Option<String>,
    // imap
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<String>,
    pub ca_file: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    pub folder: Option<String>,
    pub processed_folder: Option<String>,
    pub refused_folder: Option<String>,
    pub batch_size: Option<usize>,
    pub batch_bytes: Option<u64>,
    // imap
    pub idle: Option<bool>,
    pub timeout_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstitution {
    pub name: String,
    pub allowed_domains: Vec<String>,
    #[serde(default)]
    pub blocked_addresses: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub refusal_reply: Option<bool>,
    pub subject_tag: Option<String>,
    pub ticket_url: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntake {
    pub ignore_lists: Option<bool>,
    pub max_mails_per_sender_per_hour: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub max_message_bytes: Option<u64>,
    pub max_attachment_bytes: Option<u64>,
    pub max_observers: Option<usize>,
    pub max_web_files: Option<usize>,
    pub max_read_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTickets {
    pub reopen_on_reply: Option<bool>,
    pub followup_policy: Option<String>,
    pub cc_as_observers: Option<bool>,
    pub auto_close_days: Option<u32>,
    pub default_urgency: Option<u8>,
    pub default_impact: Option<u8>,
    pub default_type: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    /// Rows by urgency 1..5, columns by impact 1..5; checked for shape in
    /// validation so that the message can say which cell is wrong.
    pub priority_matrix: Option<Vec<Vec<i64>>>,
    pub first_number: Option<i64>,
    pub dispatcher_group: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotifications {
    pub from: String,
    pub transport: String,
    pub templates_dir: Option<String>,
    pub notify_technicians_on_new: Option<bool>,
    pub max_per_address_per_hour: Option<u32>,
    pub digest_at: Option<String>,
    pub max_attachment_bytes: Option<u64>,
    pub history_followups: Option<u32>,
    pub instance: Option<String>,
    pub retry: Option<RawRetry>,
    // file
    pub dir: Option<String>,
    // smtp
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<String>,
    pub ca_file: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    pub pool_size: Option<u32>,
    pub timeout_seconds: Option<u64>,
}

impl RawNotifications {
    /// Whether a transport-specific key was written.
    pub fn present(&self, key: &str) -> bool {
        match key {
            "dir" => self.dir.is_some(),
            "host" => self.host.is_some(),
            "port" => self.port.is_some(),
            "tls" => self.tls.is_some(),
            "ca_file" => self.ca_file.is_some(),
            "username" => self.username.is_some(),
            "password" => self.password.is_some(),
            "password_file" => self.password_file.is_some(),
            "password_env" => self.password_env.is_some(),
            "pool_size" => self.pool_size.is_some(),
            "timeout_seconds" => self.timeout_seconds.is_some(),
            _ => false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    pub first_delay_seconds: Option<u64>,
    pub max_delay_seconds: Option<u64>,
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTechnician {
    pub email: String,
    pub name: String,
    pub admin: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntity {
    pub name: String,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub addresses: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
    pub mail: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub name: String,
    #[serde(default)]
    pub when: RawWhen,
    #[serde(default)]
    pub then: RawThen,
}

/// Regular expressions, all of which must match.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    pub from: Option<String>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThen {
    pub category: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub urgency: Option<u8>,
    pub impact: Option<u8>,
    pub entity: Option<String>,
    pub location: Option<String>,
    pub group: Option<String>,
    pub technician: Option<String>,
    pub observers: Option<Vec<String>>,
    pub refuse: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogging {
    pub level: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetrics {
    pub listen: Option<String>,
    pub unhealthy_after_seconds: Option<u64>,
    pub start_grace_seconds: Option<u64>,
}
