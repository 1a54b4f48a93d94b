//! Read-only commands over the store: `tickets list|show`, `messages list`,
//! `outbox list`. They open their own connection, so they work while the
//! daemon runs.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use mailgate::clock::Clock;

use super::table::{Table, cell};
use super::{TicketsCommand, load_config, open_store, print_json};
use mailgate::intake::Outcome;
use mailgate::store::OutboxState;
use mailgate::store::tickets::TicketFilter;
use mailgate::ticket::Status;

pub fn tickets(config: &Path, cmd: TicketsCommand) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    match cmd {
        TicketsCommand::List { status, requester, text, json } => {
            let status = match status.as_deref() {
                None => None,
                Some(s) => Some(Status::parse(s).ok_or_else(|| {
                    anyhow::anyhow!("--status: expected one of new, assigned, planned, pending, solved, closed, cancelled; got \"{s}\"")
                })?),
            };
            let tickets = store.list_tickets(&TicketFilter { status, requester, text })?;
            if json {
                return print_json(&tickets).map(|_| ExitCode::SUCCESS);
            }
            let mut table = Table::new(&["ID", "STATUS", "TITLE", "REQUESTER", "FOLLOWUPS", "CREATED"]);
            for t in tickets {
                table.row(vec![
                    t.id.to_string(),
                    t.status.to_string(),
                    t.title,
                    t.requester,
                    t.followups.to_string(),
                    t.created_at,
                ]);
            }
            table.print();
        }
        TicketsCommand::Show { id, json } => {
            let t = store.ticket_detail(id)?;
            if json {
                return print_json(&t).map(|_| ExitCode::SUCCESS);
            }
            let label = |s: Status| s.label(config.institution.language);
            println!(
                "[{} #{:07}] {} | {} – {}",
                config.institution.subject_tag,
                t.id,
                t.entity,
                label(t.status),
                t.title
            );
            println!("requester:   {}", t.requester);
            println!("observers:   {}", t.observers.join(", "));
            println!("technicians: {}", t.technicians.join(", "));
            println!("created:     {}    updated: {}", t.created_at, t.updated_at);
            println!("\n{}\n", t.description);
            for f in &t.followups {
                println!(
                    "--- {} ({}) {}{}",
                    f.author,
                    f.role.as_str(),
                    f.created_at,
                    if f.private { " [private]" } else { "" }
                );
                println!("{}\n", f.body);
            }
            if !t.attachments.is_empty() {
                println!("attachments:");
                for a in &t.attachments {
                    println!("  {} ({}, {} bytes, sha256 {})", a.filename, a.content_type, a.size, a.sha256);
                }
            }
            println!("history:");
            for h in &t.history {
                println!("  {}  {:<28}  {:<15}  {}", h.at, cell(&h.actor, 28), h.action, h.detail);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn messages(config: &Path, outcome: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let outcome = match outcome.as_deref() {
        None => None,
        Some(o) => match Outcome::parse(o) {
            Some(o) => Some(o),
            None => bail!(
                "--outcome: expected one of ticket_created, followup_added, refused, ignored, duplicate; got \"{o}\""
            ),
        },
    };
    let messages = store.list_messages(outcome)?;
    if json {
        return print_json(&messages).map(|_| ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["ID", "RECEIVED", "FROM", "SUBJECT", "TICKET", "OUTCOME", "REASON"]);
    for m in messages {
        table.row(vec![
            m.id.to_string(),
            m.received_at,
            m.from.unwrap_or_else(|| "-".into()),
            m.subject,
            m.ticket_id.map(|t| format!("#{t}")).unwrap_or_default(),
            m.outcome.as_str().to_string(),
            m.reason.unwrap_or_default(),
        ]);
    }
    table.print();
    Ok(ExitCode::SUCCESS)
}

pub fn outbox(config: &Path, state: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let state = match state.as_deref() {
        None => None,
        Some(s) => match OutboxState::parse(s) {
            Some(s) => Some(s),
            None => bail!("--state: expected one of pending, sending, sent, failed, held; got \"{s}\""),
        },
    };
    let rows = store.list_outbox(state)?;
    if json {
        return print_json(&rows).map(|_| ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["ID", "TICKET", "EVENT", "TO", "STATE", "ATTEMPTS", "SUBJECT", "LAST ERROR"]);
    for r in rows {
        table.row(vec![
            r.id.to_string(),
            format!("#{}", r.ticket_id),
            r.event,
            r.recipient,
            r.state.as_str().to_string(),
            r.attempts.to_string(),
            r.subject,
            r.last_error.unwrap_or_default(),
        ]);
    }
    table.print();
    Ok(ExitCode::SUCCESS)
}

/// `outbox retry ID` or `outbox retry --failed` (`id` is None). A running
/// daemon picks the rows up at its next look at the queue.
pub fn outbox_retry(config: &Path, id: Option<i64>) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let mut store = open_store(&config)?;
    let now = mailgate::clock::SystemClock.now_rfc3339();
    match id {
        Some(id) => {
            if !store.requeue(id, &now)? {
                bail!("outbox row {id} is not failed or held (see `mailgate outbox list`)");
            }
            println!("notification {id} queued again");
        }
        None => println!("{} failed notification(s) queued again", store.requeue_failed(&now)?),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn raw(config: &Path, id: i64) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let bytes = store.raw_message(id)?;
    std::io::stdout().write_all(&bytes)?;
    Ok(ExitCode::SUCCESS)
}
