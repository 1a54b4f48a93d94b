//! The validated configuration. Loading happens in two stages: the TOML text
//! is read into [`raw::RawConfig`] (which mirrors the file and refuses unknown
//! keys), then checked and resolved into [`Config`], whose values are ready to
//! use: paths made absolute relative to the file, addresses lower-cased,
//! defaults applied. Every error names the file, the key, and what was
//! expected, on one line, because that line is all an operator sees when
//! `systemctl start` fails.

mod categories;
mod connection;
mod helpdesk;
mod notifications;
mod raw;
mod rules;
mod secret;
mod service;
mod show;
mod sources;
mod trust;
mod web;
mod web_staff;

use std::path::{Path, PathBuf};

use crate::mail::Mailbox;
use crate::ticket::{Language, TicketType};
pub use categories::{CategoryTree, fold_accents};
pub use connection::{TlsMode, is_loopback};
pub use helpdesk::{Entity, Group, PriorityMatrix};
pub use notifications::{
    DEFAULT_MAX_ATTACHMENT_BYTES, MAX_HISTORY_FOLLOWUPS, Notifications, RetryConfig, SmtpConfig, SmtpCredentials,
    TimeOfDay, TransportConfig,
};
use raw::RawConfig;
pub use rules::{Actions, Conditions, ObserverTarget, Pattern, Rule};
pub use secret::{Secret, SecretSource};
pub use service::{Limits, Logging, MetricsConfig};
pub use sources::{ImapConfig, MaildirConfig, SourceConfig};
pub use trust::{EvidenceKind, Trust, TrustMode};
pub use web::{DEFAULT_LINK_DAYS, WebConfig};
pub use web_staff::StaffWeb;

/// A configuration that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{file}: {key}: {message}")]
    Invalid { file: String, key: String, message: String },
}

/// How a reply from someone outside a ticket's actors is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowupPolicy {
    /// Only the requester, observers and technicians add followups; anyone
    /// else quoting a ticket token opens a ticket of their own.
    Actors,
    /// Any sender of the institution may add a followup to any ticket.
    Institution,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Institution {
    pub name: String,
    pub allowed_domains: Vec<String>,
    pub blocked_addresses: Vec<String>,
    /// Answer a person writing from outside the institution, once a day,
    /// with a polite refusal (default off).
    pub refusal_reply: bool,
    /// The other addresses that reach this mailgate (`lsu-support@…`):
    /// never observers, never notified.
    pub aliases: Vec<String>,
    pub subject_tag: String,
    /// GLPI's ticket link (`{id}` replaced by the number); with `[web]`
    /// the links lead to mailgate's own pages instead, and with neither the
    /// notifications carry no link.
    pub ticket_url: Option<String>,
    pub language: Language,
}

/// How inbound mail is screened beyond robots and senders.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IntakePolicy {
    /// Past this many answered mails from one outside address in an hour,
    /// its further mails are recorded, not answered (a loop). 0: no guard.
    pub max_mails_per_sender_per_hour: u32,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TicketPolicy {
    pub reopen_on_reply: bool,
    pub followup_policy: FollowupPolicy,
    pub cc_as_observers: bool,
    /// Days after which a solved ticket whose solution got no answer is
    /// closed; 0: never.
    pub auto_close_days: u32,
    /// Urgency and impact (1 to 5), and type, of a new ticket when no rule
    /// sets them.
    pub default_urgency: u8,
    pub default_impact: u8,
    pub default_type: TicketType,
    /// The category tree: every full path, parents included.
    pub categories: CategoryTree,
    pub priority_matrix: PriorityMatrix,
    /// The number of the first ticket mailgate opens (the replaced GLPI's
    /// last + 1); a token or GLPI Message-ID below it is the old system's.
    pub first_number: Option<i64>,
    /// The group whose members find, in their digest, the tickets nobody
    /// has (no group, no technician); None: every technician does.
    pub dispatcher_group: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Technician {
    pub email: String,
    pub name: String,
    /// May open the operators' web pages (journal, outbox, health).
    pub admin: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Config {
    /// The file this configuration came from, for messages.
    #[serde(skip)]
    pub file: PathBuf,
    pub database_path: PathBuf,
    pub sources: Vec<SourceConfig>,
    pub institution: Institution,
    pub ignore_lists: bool,
    pub intake: IntakePolicy,
    pub limits: Limits,
    pub tickets: TicketPolicy,
    pub notifications: Notifications,
    pub technicians: Vec<Technician>,
    pub entities: Vec<Entity>,
    pub groups: Vec<Group>,
    /// Tried in order on a mail that opens a ticket; the first match wins.
    pub rules: Vec<Rule>,
    pub logging: Logging,
    /// The HTTP listener for /healthz and /metrics; None: no listener.
    pub metrics: Option<MetricsConfig>,
    /// How far the From header is believed.
    pub trust: Trust,
    /// The requester's pages; None: no pages, no personal links.
    pub web: Option<WebConfig>,
    /// How staff sign in to the web pages.
    pub staff_web: StaffWeb,
    /// Allowed but unwise settings, logged at start.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads and validates the file at `path`; relative paths inside it are
    /// taken relative to the file's folder, so a config runs from anywhere.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::from_toml(&text, path, base)
    }

    /// Parses configuration text; `file` is only used in messages and `base`
    /// resolves relative paths. Takes text so tests need no files.
    pub fn from_toml(text: &str, file: &Path, base: &Path) -> Result<Config, ConfigError> {
        let file_name = file.display().to_string();
        let raw = show::deserialize(text, &file_name)?;
        validate(raw, file, base)
    }

    /// A `[[technicians]]` entry or a member of any group (addresses are
    /// compared lower-cased).
    pub fn is_technician(&self, address: &str) -> bool {
        helpdesk::is_staff(&self.technicians, &self.groups, &address.trim().to_lowercase())
    }

    pub fn technician(&self, address: &str) -> Option<&Technician> {
        self.technicians.iter().find(|t| t.email == address)
    }

    /// The name a technician is given in `[[technicians]]`; group members
    /// listed nowhere else have none.
    pub fn technician_name(&self, address: &str) -> Option<&str> {
        let address = address.trim().to_lowercase();
        self.technician(&address).map(|t| t.name.as_str()).filter(|n| !n.is_empty())
    }

    /// A technician, a group member or a group's list address: the staff,
    /// whom no loop guard ever silences.
    pub fn is_staff_address(&self, address: &str) -> bool {
        let address = address.trim().to_lowercase();
        self.is_technician(&address) || self.groups.iter().any(|g| g.mail.as_deref() == Some(address.as_str()))
    }

    /// The first ticket number mailgate issues (1 when not configured).
    pub fn first_number(&self) -> i64 {
        self.tickets.first_number.unwrap_or(1)
    }

    /// What `check-config` points out beyond [`Config::warnings`]: settings
    /// that are fine for a new site and wrong for one replacing GLPI.
    pub fn advice(&self) -> Vec<String> {
        let mut advice = Vec::new();
        if self.tickets.first_number.is_none() && self.institution.subject_tag == "GLPI" {
            advice.push(
                "tickets.first_number is not set: GLPI's Message-IDs (GLPI_…-Ticket-N) and [GLPI #N] tokens are \
                 recognised and taken as mailgate's own ticket N. When replacing a GLPI, set it to GLPI's last \
                 ticket number + 1, so that a reply to an old GLPI thread opens a new ticket instead of landing on \
                 another one"
                    .to_string(),
            );
        }
        advice
    }

    /// The group of that name, case-insensitively.
    pub fn group(&self, name: &str) -> Option<&Group> {
        helpdesk::find_group(&self.groups, name)
    }

    /// The entity a sender belongs to: the one listing the exact address,
    /// else the one with the longest domain containing the sender's, else
    /// the institution.
    pub fn entity_for(&self, sender: &Mailbox) -> String {
        if let Some(e) = self.entities.iter().find(|e| e.addresses.contains(&sender.address)) {
            return e.name.clone();
        }
        let domain = sender.domain();
        self.entities
            .iter()
            .flat_map(|e| e.domains.iter().map(move |d| (d, e)))
            .filter(|(d, _)| !domain.is_empty() && helpdesk::domain_within(domain, d))
            .max_by_key(|(d, _)| d.len())
            .map_or_else(|| self.institution.name.clone(), |(_, e)| e.name.clone())
    }

    /// The effective configuration as TOML, secrets masked.
    pub fn to_display_toml(&self) -> String {
        show::to_toml(self)
    }
}

fn validate(raw: RawConfig, file: &Path, base: &Path) -> Result<Config, ConfigError> {
    let file_name = file.display().to_string();
    let invalid =
        |key: &str, message: String| ConfigError::Invalid { file: file_name.clone(), key: key.to_string(), message };
    let resolve = |p: &str| -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
    };

    if raw.database.path.trim().is_empty() {
        return Err(invalid("database.path", "expected a file path, got an empty string".into()));
    }

    let mut warnings = Vec::new();
    let mut sources = Vec::new();
    for (i, s) in raw.sources.iter().enumerate() {
        sources
            .push(sources::validate(i, s, &resolve, &mut warnings).map_err(|(key, message)| invalid(&key, message))?);
    }
    let mut names: Vec<&str> = sources.iter().map(SourceConfig::name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid("sources", format!("expected distinct names, \"{}\" is used twice", w[0])));
    }

    let inst = raw.institution;
    if inst.allowed_domains.is_empty() {
        return Err(invalid(
            "institution.allowed_domains",
            "expected at least one domain, e.g. [\"ac-exemple.fr\"]: with none, every sender would be refused".into(),
        ));
    }
    let mut allowed_domains = Vec::new();
    for d in &inst.allowed_domains {
        let Some(domain) = helpdesk::normalize_domain(d) else {
            return Err(invalid(
                "institution.allowed_domains",
                format!("expected domain names like \"ac-exemple.fr\", got \"{}\"", d.trim()),
            ));
        };
        allowed_domains.push(domain);
    }
    let plain_addresses = |key: &str, list: &[String]| -> Result<Vec<String>, ConfigError> {
        list.iter()
            .map(|a| {
                helpdesk::normalize_address(a)
                    .ok_or_else(|| invalid(key, format!("expected plain mail addresses, got \"{}\"", a.trim())))
            })
            .collect()
    };
    let blocked_addresses = plain_addresses("institution.blocked_addresses", &inst.blocked_addresses)?;
    let aliases = plain_addresses("institution.aliases", &inst.aliases)?;
    let subject_tag = inst.subject_tag.unwrap_or_else(|| "GLPI".into());
    if subject_tag.is_empty() || subject_tag.contains([']', '[', '#', '\r', '\n']) {
        return Err(invalid(
            "institution.subject_tag",
            format!("expected a word such as \"GLPI\", got \"{subject_tag}\""),
        ));
    }
    let ticket_url = inst.ticket_url.map(|u| u.trim().to_string());
    if ticket_url.as_deref().is_some_and(|u| !u.contains("{id}")) {
        return Err(invalid(
            "institution.ticket_url",
            "expected a URL containing {id}, e.g. \"https://helpdesk.example/front/ticket.form.php?id={id}\"".into(),
        ));
    }
    let language = match inst.language.as_deref().unwrap_or("fr") {
        "fr" => Language::Fr,
        "en" => Language::En,
        other => return Err(invalid("institution.language", format!("expected \"fr\" or \"en\", got \"{other}\""))),
    };

    let limits = service::validate_limits(&raw.limits).map_err(|(k, m)| invalid(&k, m))?;

    let notifications =
        notifications::validate(&raw.notifications, &resolve, &mut warnings).map_err(|(k, m)| invalid(&k, m))?;

    let tickets = helpdesk::validate_tickets(&raw.tickets).map_err(|(k, m)| invalid(&k, m))?;

    let mut technicians = Vec::new();
    for (i, t) in raw.technicians.iter().enumerate() {
        let email = t.email.trim().to_lowercase();
        if !email.contains('@') {
            return Err(invalid(
                &format!("technicians[{i}].email"),
                format!("expected a mail address, got \"{}\"", t.email),
            ));
        }
        technicians.push(Technician { email, name: t.name.trim().to_string(), admin: t.admin.unwrap_or(false) });
    }

    let entities =
        helpdesk::validate_entities(&raw.entities, &allowed_domains, &mut warnings).map_err(|(k, m)| invalid(&k, m))?;
    let groups = helpdesk::validate_groups(&raw.groups).map_err(|(k, m)| invalid(&k, m))?;
    let mut tickets = tickets;
    if let Some(name) = &tickets.dispatcher_group {
        let Some(group) = helpdesk::find_group(&groups, name) else {
            let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
            return Err(invalid(
                "tickets.dispatcher_group",
                format!("expected the name of a [[groups]] entry ({}), got \"{name}\"", names.join(", ")),
            ));
        };
        tickets.dispatcher_group = Some(group.name.clone());
    }
    let known = rules::Known { categories: &tickets.categories, groups: &groups, technicians: &technicians };
    let rules = rules::validate_rules(&raw.rules, &known).map_err(|(k, m)| invalid(&k, m))?;

    let logging = service::validate_logging(&raw.logging).map_err(|(k, m)| invalid(&k, m))?;
    let metrics = match &raw.metrics {
        None => None,
        Some(m) => Some(service::validate_metrics(m, &mut warnings).map_err(|(k, m)| invalid(&k, m))?),
    };

    let trust = trust::validate(raw.trust, limits.max_read_seconds).map_err(|(k, m)| invalid(&k, m))?;
    let web = match &raw.web {
        None => None,
        Some(w) => Some(web::validate(w, &resolve, &mut warnings).map_err(|(k, m)| invalid(&k, m))?),
    };

    Ok(Config {
        web,
        file: file.to_path_buf(),
        database_path: resolve(&raw.database.path),
        sources,
        institution: Institution {
            name: inst.name.trim().to_string(),
            allowed_domains,
            blocked_addresses,
            refusal_reply: inst.refusal_reply.unwrap_or(false),
            aliases,
            subject_tag,
            ticket_url,
            language,
        },
        ignore_lists: raw.intake.ignore_lists.unwrap_or(true),
        intake: IntakePolicy { max_mails_per_sender_per_hour: raw.intake.max_mails_per_sender_per_hour.unwrap_or(30) },
        limits,
        tickets,
        notifications,
        technicians,
        entities,
        groups,
        rules,
        logging,
        metrics,
        trust,
        staff_web: web_staff::validate(raw.staff_web).map_err(|(k, m)| invalid(&k, m))?,
        warnings,
    })
}

#[cfg(test)]
mod tests;
