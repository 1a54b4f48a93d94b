//! The command line: one file per command group. Commands load the
//! configuration, open the store, and print either a table for people or
//! JSON (`--json`) whose shapes are documented in the README.

mod admin;
mod demo;
mod ingest;
mod inspect;
mod rules;
mod run;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use mailgate::config::Config;
use mailgate::store::Store;

/// Exit codes from sysexits.h, which MTAs act on.
pub const EXIT_DATAERR: u8 = 65;
pub const EXIT_TEMPFAIL: u8 = 75;
pub const EXIT_CONFIG: u8 = 78;

#[derive(Debug, Parser)]
#[command(name = "mailgate", version, about = "Turns the mail of a support address into helpdesk tickets")]
pub struct Args {
    /// Configuration file.
    #[arg(long, global = true, env = "MAILGATE_CONFIG", default_value = "mailgate.toml")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a demo folder with sample mail, run one pass, and show what happened.
    Demo {
        /// Where to build it; replaced if it is an earlier demo.
        #[arg(long, default_value = "mailgate-demo")]
        dir: PathBuf,
        /// Then serve the requester's pages (at [web] listen) until Ctrl-C.
        #[arg(long)]
        serve: bool,
    },
    /// Run the daemon over the configured sources.
    Run {
        /// Process what is waiting, send what is due, and exit.
        #[arg(long)]
        once: bool,
        /// Fetch each source's first batch and say what would become of each
        /// mail; record, move and send nothing (to try a configuration on a
        /// live mailbox).
        #[arg(long, conflicts_with = "once")]
        dry_run: bool,
    },
    /// Take mail from files, or one mail from standard input (for an MTA pipe).
    Ingest { files: Vec<PathBuf> },
    /// Validate the configuration and print it as mailgate understands it.
    CheckConfig,
    /// Tickets in the store.
    #[command(subcommand)]
    Tickets(TicketsCommand),
    /// The intake record: every mail and its outcome.
    #[command(subcommand)]
    Messages(MessagesCommand),
    /// Notifications waiting, sent or failed.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Counts for a dashboard: tickets by status, today's intake by outcome
    /// ("today" is since midnight UTC), the outbox by state.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent, checked copy of the database to PATH, safely
    /// while the daemon runs.
    Backup {
        path: PathBuf,
        /// Replace PATH if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Routing rules: `rules test FILE.eml` shows what they would make of a mail.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Database maintenance: schema migrations and integrity checks.
    #[command(subcommand)]
    Db(DbCommand),
    /// Drop the raw copies of mails received more than DAYS days ago;
    /// tickets, followups, attachments and the intake record stay.
    Purge {
        #[arg(long, value_name = "DAYS", value_parser = admin::parse_days)]
        older_than: u32,
        /// Only count what would be dropped.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending schema migrations; print the version before and after.
    Migrate,
    /// Run SQLite's integrity and foreign-key checks; exit 1 on any problem.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// Tickets matching every filter given, the most recently updated first.
    List(ListArgs),
    /// One ticket: its fields, then its whole story as an audit log.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

/// `tickets list` filters; each one given must match (AND).
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only these statuses: new, assigned, planned, pending, solved, closed,
    /// cancelled; repeat the flag or separate them with commas.
    #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = inspect::parse_status)]
    pub status: Vec<mailgate::ticket::Status>,
    /// Only tickets still to work on: not solved, closed or cancelled.
    #[arg(long, conflicts_with = "status")]
    pub open: bool,
    /// Only tickets this group is assigned to (observer groups do not count).
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Only tickets this technician is assigned to.
    #[arg(long, value_name = "ADDR")]
    pub technician: Option<String>,
    /// Only this category or one under it ("Scolarité" matches "Scolarité > LSU"), in any case.
    #[arg(long, value_name = "TEXT")]
    pub category: Option<String>,
    #[arg(long, value_name = "ADDR")]
    pub requester: Option<String>,
    /// Only this entity or one under it, like --category.
    #[arg(long, value_name = "TEXT")]
    pub entity: Option<String>,
    /// Words that must each appear in the title, the description or a followup.
    #[arg(long, value_name = "WORDS")]
    pub text: Option<String>,
    /// At most N tickets (the most recently updated).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum MessagesCommand {
    List {
        /// ticket_created, followup_added, refused, ignored, duplicate, or
        /// quarantined (refused mails held until `messages release`).
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run a stored refused or ignored message through the pipeline again.
    Replay { id: i64 },
    /// Let a quarantined message through: you vouch for its sender, and it
    /// is decided again as if authenticated.
    Release { id: i64 },
    /// Write a stored message's raw copy, byte for byte, to standard output.
    Raw { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    List {
        /// pending, sending, sent, failed or held.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Put a failed or held notification back in the queue (a held one is
    /// then sent even past the rate guard), every failed one with --failed,
    /// or release every held one with --held.
    Retry {
        #[arg(required_unless_present_any = ["failed", "held"], conflicts_with_all = ["failed", "held"])]
        id: Option<i64>,
        #[arg(long, conflicts_with = "held")]
        failed: bool,
        #[arg(long)]
        held: bool,
    },
}

/// Logs go to stderr (the journal under systemd). The level is RUST_LOG if
/// set, else `logging.level` from the configuration for the daemon's
/// commands; `logging.format = "json"` gives one JSON object per line.
pub fn init_logging(args: &Args) {
    let daemon_like = matches!(args.command, Command::Run { .. } | Command::Ingest { .. });
    // Read quietly: a broken file is reported by the command itself.
    let logging = Config::load(&args.config).ok().map(|c| c.logging);
    let level = match (&logging, daemon_like) {
        (Some(l), true) => l.level.clone(),
        (_, true) => "info".to_string(),
        (_, false) => "warn".to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if logging.is_some_and(|l| l.format == "json") {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Demo { dir, serve } => demo::run(&dir, serve),
        Command::Run { dry_run: true, .. } => run::dry_run(&args.config),
        Command::Run { once, .. } => run::daemon(&args.config, once),
        Command::Ingest { files } => ingest::run(&args.config, &files),
        Command::CheckConfig => {
            let config = load_config(&args.config)?;
            print!("{}", config.to_display_toml());
            for advice in config.advice() {
                eprintln!("mailgate: warning: {advice}");
            }
            eprintln!("mailgate: configuration {} is valid", args.config.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Tickets(cmd) => inspect::tickets(&args.config, cmd),
        Command::Messages(MessagesCommand::Replay { id }) => run::replay(&args.config, id, false),
        Command::Messages(MessagesCommand::Release { id }) => run::replay(&args.config, id, true),
        Command::Messages(MessagesCommand::Raw { id }) => inspect::raw(&args.config, id),
        Command::Messages(MessagesCommand::List { outcome, json }) => inspect::messages(&args.config, outcome, json),
        Command::Outbox(OutboxCommand::List { state, json }) => inspect::outbox(&args.config, state, json),
        Command::Outbox(OutboxCommand::Retry { id, held, failed: _ }) => inspect::outbox_retry(&args.config, id, held),
        Command::Stats { json } => admin::stats(&args.config, json),
        Command::Backup { path, force } => admin::backup(&args.config, &path, force),
        Command::Rules(cmd) => rules::run(&args.config, cmd),
        Command::Db(DbCommand::Migrate) => admin::db_migrate(&args.config),
        Command::Db(DbCommand::Check) => admin::db_check(&args.config),
        Command::Purge { older_than, dry_run } => admin::purge(&args.config, older_than, dry_run),
    }
}

fn load_config(path: &std::path::Path) -> anyhow::Result<Arc<Config>> {
    let config = Config::load(path)?;
    for warning in &config.warnings {
        tracing::warn!("{}: {warning}", path.display());
    }
    Ok(Arc::new(config))
}

fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database_path).with_context(|| "cannot open the store (database.path)")
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
