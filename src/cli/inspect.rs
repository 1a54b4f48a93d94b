//! Read-only commands over the store: `tickets list|show`, `messages list`,
//! `outbox list`. They open their own connection, so they work while the
//! daemon runs. Statuses print as their stable words (as in `stats`), since
//! operators grep them; `tickets show` heads with the subject line users see.

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use mailgate::clock::Clock;

use super::table::{Table, cell};
use super::{TicketsCommand, load_config, open_store, print_json};
use mailgate::intake::Outcome;
use mailgate::store::{OutboxState, TicketDetail, TicketFilter, TimelineEntry};
use mailgate::text::for_terminal;
use mailgate::ticket::{Language, Status, display_number, level_label};

/// `--status` values: the stable words stored and shown in JSON.
pub fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s.trim()).ok_or_else(|| {
        format!("expected one of new, assigned, planned, pending, solved, closed, cancelled; got \"{s}\"")
    })
}

pub fn tickets(config: &Path, cmd: TicketsCommand) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let language = config.institution.language;
    match cmd {
        TicketsCommand::List(args) => {
            let filter = TicketFilter {
                statuses: if args.open { TicketFilter::OPEN.to_vec() } else { args.status },
                group: args.group,
                technician: args.technician,
                category: args.category,
                requester: args.requester,
                entity: args.entity,
                text: args.text,
                limit: args.limit,
            };
            let tickets = store.list_tickets(&filter)?;
            if args.json {
                return print_json(&tickets).map(|_| ExitCode::SUCCESS);
            }
            let mut table = Table::new(&[
                "ID",
                "STATUS",
                "PRIORITY",
                "CATEGORY",
                "GROUPS",
                "TECHNICIANS",
                "REQUESTER",
                "TITLE",
                "UPDATED",
            ]);
            for t in tickets {
                table.row(vec![
                    format!("#{}", display_number(t.id)),
                    t.status.to_string(),
                    level(t.priority, language),
                    t.category.unwrap_or_default(),
                    t.assigned_groups.join(", "),
                    t.technicians.join(", "),
                    t.requester,
                    cell(&t.title, TITLE_WIDTH),
                    t.updated_at,
                ]);
            }
            table.print();
        }
        TicketsCommand::Show { id, json } => {
            let t = store.ticket_detail(id)?;
            if json {
                return print_json(&t).map(|_| ExitCode::SUCCESS);
            }
            show(&t, &config.institution.subject_tag, language);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How much of a title a list shows.
const TITLE_WIDTH: usize = 40;

/// A 1–6 level as "4 Haute": the number to sort and grep, GLPI's word to read.
fn level(n: u8, language: Language) -> String {
    format!("{n} {}", level_label(n, language))
}

/// `tickets show`: the ticket's fields, its description, its files, then
/// one chronological audit log of everything that happened to it.
fn show(t: &TicketDetail, tag: &str, language: Language) {
    print!("{}", for_terminal(&render(t, tag, language)));
}

/// The text of `tickets show` as stored: every part of it may come from a
/// mail, so [`show`] prints it escaped as a whole.
fn render(t: &TicketDetail, tag: &str, language: Language) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    macro_rules! say {
        ($($arg:tt)*) => { let _ = writeln!(out, $($arg)*); };
    }
    let or_dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
    let list = |v: &[&str]| or_dash(&v.join(", "));
    let field = |name: &str, value: String| format!("{:<17}{value}\n", format!("{name}:"));
    say!("[{tag} #{}] {} | {} – {}", display_number(t.id), t.entity, t.status.label(language), t.title);
    out.push_str(&field("status", t.status.to_string()));
    out.push_str(&field("type", t.kind.label(language).to_string()));
    out.push_str(&field("category", or_dash(t.category.as_deref().unwrap_or_default())));
    out.push_str(&field(
        "urgency",
        format!(
            "{}    impact: {}    priority: {}",
            level(t.urgency, language),
            level(t.impact, language),
            level(t.priority, language)
        ),
    ));
    out.push_str(&field("entity", t.entity.clone()));
    out.push_str(&field("location", or_dash(t.location.as_deref().unwrap_or_default())));
    out.push_str(&field("requester", t.requester.clone()));
    out.push_str(&field("observers", list(&t.observers.iter().map(String::as_str).collect::<Vec<_>>())));
    out.push_str(&field("technicians", list(&t.technicians.iter().map(String::as_str).collect::<Vec<_>>())));
    out.push_str(&field("assigned groups", list(&t.groups_in("assigned"))));
    out.push_str(&field("observer groups", list(&t.groups_in("observer"))));
    out.push_str(&field("filed by rule", or_dash(t.rule.as_deref().unwrap_or_default())));
    out.push_str(&field("created", format!("{}    updated: {}", t.created_at, t.updated_at)));
    out.push_str(&field(
        "solved",
        format!(
            "{}    closed: {}",
            or_dash(t.solved_at.as_deref().unwrap_or_default()),
            or_dash(t.closed_at.as_deref().unwrap_or_default())
        ),
    ));
    say!("\n{}\n", t.description);
    if !t.attachments.is_empty() {
        say!("attachments:");
        for a in &t.attachments {
            say!("  {} ({}, {} bytes, sha256 {})", a.filename, a.content_type, a.size, a.sha256);
        }
        say!("");
    }
    if !t.defects.is_empty() {
        say!("defects (the raw copies keep everything: mailgate messages raw ID):");
        for d in &t.defects {
            say!("  {d}");
        }
        say!("");
    }
    say!("history:");
    let story = t.timeline();
    let who = |e: &TimelineEntry<'_>| match e {
        TimelineEntry::History(h) => cell(&h.actor, ACTOR_WIDTH),
        TimelineEntry::Followup(f) => cell(&f.author, ACTOR_WIDTH),
        TimelineEntry::Solution(s) => cell(&s.author, ACTOR_WIDTH),
    };
    let width = story.iter().map(|e| who(e).chars().count()).max().unwrap_or(0);
    for entry in &story {
        let (what, body) = match entry {
            TimelineEntry::History(h) => {
                // Mail is the usual door; any other (web, timer, cli) is named.
                let door = if h.door == "mail" { String::new() } else { format!(" (via {})", cell(&h.door, 10)) };
                (format!("{}{door}", describe(&h.action, &h.detail)), None)
            }
            TimelineEntry::Followup(f) => {
                let private = if f.private { ", private" } else { "" };
                (format!("followup ({}{private})", f.role.as_str()), Some(&f.body))
            }
            TimelineEntry::Solution(s) => {
                let decided = match (&s.decided_by, &s.decided_at) {
                    (Some(by), Some(at)) => format!(" by {by} at {at}"),
                    (Some(by), None) => format!(" by {by}"),
                    (None, Some(at)) => format!(" at {at}"),
                    (None, None) => String::new(),
                };
                (format!("solution proposed ({}{decided})", s.state), Some(&s.body))
            }
        };
        say!("  {}  {:<width$}  {what}", entry.at(), who(entry));
        for line in body.map(String::as_str).unwrap_or_default().lines() {
            say!("{}", format!("      {line}").trim_end());
        }
    }
    out
}

/// Widest an actor's address is shown in the audit log.
const ACTOR_WIDTH: usize = 40;

/// A history entry in words: the actions mailgate writes read as words,
/// any other (and `status`, `category`, `urgency`… whose detail is
/// "old -> new") as its stored action and detail.
fn describe(action: &str, detail: &str) -> String {
    let detail = cell(detail, 200);
    let words = match action {
        "assigned" => "technician assigned:",
        "unassigned" => "technician unassigned:",
        "observer_added" => "observer added:",
        "group_assigned" => "group assigned:",
        "group_unassigned" => "group unassigned:",
        "group_observer_added" => "observer group added:",
        "solution_proposed" => "solution proposed",
        "solution_accepted" => "solution accepted",
        "solution_rejected" => "solution rejected",
        "closed_automatically" => "closed automatically:",
        "created" => "created:",
        _ => action,
    };
    if detail.is_empty() { words.trim_end_matches(':').to_string() } else { format!("{words} {detail}") }
}

pub fn messages(config: &Path, outcome: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    // Quarantined mails are refused ones held for an operator.
    let (outcome, quarantined_only) = match outcome.as_deref() {
        None => (None, false),
        Some("quarantined") => (None, true),
        Some(o) => match Outcome::parse(o) {
            Some(o) => (Some(o), false),
            None => bail!(
                "--outcome: expected one of ticket_created, followup_added, refused, ignored, duplicate, quarantined; got \"{o}\""
            ),
        },
    };
    let messages = store.list_messages(outcome, quarantined_only)?;
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
            r.ticket_id.map(|t| format!("#{t}")).unwrap_or_default(),
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
pub fn outbox_retry(config: &Path, id: Option<i64>, held: bool) -> anyhow::Result<ExitCode> {
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
        None if held => println!("{} held notification(s) released", store.release_held(&now)?),
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
