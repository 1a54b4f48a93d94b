//! `mailgate rules test FILE.eml`: what the configured rules would make of
//! one mail, before trusting them with the live mailbox. It reads the file
//! and the configuration only (no store, no source, nothing written) and
//! shows the sender policy's verdict, the robot guard's, and the routing:
//! the rule that matched, or the defaults, and every field it would set.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;

use super::table::cell;
use super::{load_config, print_json};
use mailgate::config::Config;
use mailgate::mail::{self, InboundMail, noise, subject};
use mailgate::policy;
use mailgate::routing::{self, ObserverTarget, Routing};
use mailgate::text::for_terminal;
use mailgate::ticket::level_label;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Read one mail (an .eml file) and show what the rules would make of it:
    /// the sender's verdict, the rule that matches (or the defaults) and every
    /// field it sets. Nothing is recorded or sent.
    Test {
        /// The mail, as a file (an .eml, or a Maildir file).
        file: PathBuf,
        /// Print JSON instead (its shape is in the README).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(config: &Path, cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Test { file, json } => test(config, &file, json),
    }
}

/// The `--json` shape.
#[derive(Serialize)]
struct Report<'a> {
    file: String,
    message_id: &'a str,
    from: Option<&'a str>,
    subject: &'a str,
    /// The sender policy: `served`, and the reason when it is not.
    sender: Sender,
    /// Why the robot guard would ignore the mail, if it would.
    robot: Option<String>,
    /// The ticket number the subject names: such a mail is a followup when
    /// the ticket exists, and routing applies to new tickets only.
    ticket_token: Option<u64>,
    routing: &'a Routing,
}

#[derive(Serialize)]
struct Sender {
    served: bool,
    refusal: Option<String>,
}

fn test(config: &Path, file: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let raw = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mail = mail::parse(&raw).with_context(|| format!("{}: cannot be read as a mail", file.display()))?;
    let refusal = policy::refusal(mail.from.as_ref(), &config.institution);
    let robot = noise::classify(&mail, config.ignore_lists).map(|n| n.reason());
    let ticket_token = subject::ticket_token(&mail.subject, &config.institution.subject_tag);
    let routing = routing::route(&config, &mail);
    if json {
        print_json(&Report {
            file: file.display().to_string(),
            message_id: &mail.message_id,
            from: mail.from.as_ref().map(|f| f.address.as_str()),
            subject: &mail.subject,
            sender: Sender { served: refusal.is_none(), refusal },
            robot,
            ticket_token,
            routing: &routing,
        })?;
    } else {
        print_text(&config, file, &mail, refusal, robot, ticket_token, &routing);
    }
    Ok(ExitCode::SUCCESS)
}

/// Widest a value from the mail is shown; the mail's sender chose it.
const MAX_SHOWN: usize = 100;

fn print_text(
    config: &Config,
    file: &Path,
    mail: &InboundMail,
    refusal: Option<String>,
    robot: Option<String>,
    ticket_token: Option<u64>,
    routing: &Routing,
) {
    // Every value may come from the mail: shown escaped (mailgate::text).
    let line = |label: &str, value: &str| println!("{:<12}{}", format!("{label}:"), for_terminal(value));
    let language = config.institution.language;
    let level = |l: u8| format!("{l} ({})", level_label(l, language));
    let or_dash = |v: Option<&str>| v.map_or_else(|| "-".to_string(), str::to_string);

    line("mail", &file.display().to_string());
    let from = mail.from.as_ref().map(|f| match &f.name {
        Some(name) => format!("{name} <{}>", f.address),
        None => f.address.clone(),
    });
    line("from", &cell(&or_dash(from.as_deref()), MAX_SHOWN));
    line("subject", &cell(&mail.subject, MAX_SHOWN));
    match &refusal {
        None => line("sender", "served"),
        Some(reason) => line(
            "sender",
            &format!("refused: {reason} (no ticket; the routing below is what a served sender would get)"),
        ),
    }
    if let Some(reason) = &robot {
        line("robot", &format!("ignored: {reason} (no ticket)"));
    }
    if let Some(n) = ticket_token {
        line(
            "token",
            &format!(
                "the subject names ticket #{n}: if it exists, this mail is a followup, and routing applies to new tickets only"
            ),
        );
    }
    match &routing.rule {
        Some(rule) => line("rule", rule),
        None => line("rule", "no rule matched: defaults"),
    }
    if let Some(reason) = &routing.refuse {
        line("refused", &format!("{reason} (recorded as refused, not answered)"));
        return;
    }
    line("type", &format!("{} ({})", routing.ticket_type.as_str(), routing.ticket_type.label(language)));
    line("category", &or_dash(routing.category.as_deref()));
    line("urgency", &level(routing.urgency));
    line("impact", &level(routing.impact));
    line("priority", &level(routing.priority));
    line("entity", &routing.entity);
    line("location", &or_dash(routing.location.as_deref()));
    let group = routing.group.as_deref().map(|name| match config.group(name) {
        Some(g) if g.label.is_some() => format!("{name} ({})", g.display_name()),
        _ => name.to_string(),
    });
    line("group", &or_dash(group.as_deref()));
    let technician = routing.technician.as_deref().map(|address| match config.technician_name(address) {
        Some(name) => format!("{address} ({name})"),
        None => address.to_string(),
    });
    line("technician", &or_dash(technician.as_deref()));
    let observers: Vec<String> = routing
        .observers
        .iter()
        .map(|o| match o {
            ObserverTarget::Group(name) => format!("{name} (group)"),
            ObserverTarget::Person(address) => address.clone(),
        })
        .collect();
    let observers = if observers.is_empty() { "-".to_string() } else { observers.join(", ") };
    line("observers", &observers);
}
