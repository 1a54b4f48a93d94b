//! `mailgate demo`: a complete installation in a folder, filled with fifteen
//! sample mails (fixtures/demo), run through one pass of the real pipeline,
//! and shown as tables: each mail and its outcome, the tickets, and where
//! the notifications were written. It is the first thing a new user runs.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use mailgate::clock::SystemClock;
use mailgate::config::Config;
use mailgate::daemon::Daemon;
use mailgate::store::tickets::TicketFilter;

use super::table::Table;

include!(concat!(env!("OUT_DIR"), "/demo_mails.rs"));

const CONFIG: &str = include_str!("../../config.example.toml");
const MARKER: &str = ".mailgate-demo";

pub fn run(dir: &Path, serve: bool) -> anyhow::Result<ExitCode> {
    prepare(dir)?;
    let dir = dir.canonicalize().with_context(|| format!("cannot resolve {}", dir.display()))?;
    let config_path = dir.join("mailgate.toml");
    let config = Arc::new(Config::load(&config_path)?);
    // The fixture names start with their place in the story, and Maildir
    // order is name order.
    for (name, bytes) in DEMO_MAILS {
        std::fs::write(dir.join("Maildir/tmp").join(name), bytes)?;
        std::fs::rename(dir.join("Maildir/tmp").join(name), dir.join("Maildir/new").join(name))?;
    }

    let rt = super::run::runtime()?;
    let report = rt.block_on(async {
        let mut daemon = Daemon::new(config.clone(), Arc::new(SystemClock))?;
        daemon.once().await
    })?;

    let store = super::open_store(&config)?;
    println!("mailgate demo in {}\n", dir.display());
    let mut mails = Table::new(&["MAIL", "FROM", "OUTCOME", "TICKET", "WHY"]);
    for m in store.list_messages(None, false)? {
        mails.row(vec![
            m.key,
            m.from.unwrap_or_else(|| "-".into()),
            m.outcome.as_str().to_string(),
            m.ticket_id.map(|t| format!("#{t}")).unwrap_or_default(),
            m.reason.unwrap_or_default(),
        ]);
    }
    mails.print();
    println!();
    let mut tickets = Table::new(&["TICKET", "STATUS", "TITLE", "REQUESTER", "FOLLOWUPS"]);
    for t in store.list_tickets(&TicketFilter::default())? {
        tickets.row(vec![format!("#{}", t.id), t.status.to_string(), t.title, t.requester, t.followups.to_string()]);
    }
    tickets.print();
    println!();
    let mut notes = Table::new(&["TICKET", "NOTIFICATION", "TO", "WRITTEN TO"]);
    for r in store.list_outbox(None)? {
        let written =
            r.delivered_to.as_deref().map(|p| relative(p, &dir)).unwrap_or_else(|| r.state.as_str().to_string());
        notes.row(vec![r.ticket_id.map(|t| format!("#{t}")).unwrap_or_default(), r.event, r.recipient, written]);
    }
    notes.print();
    println!(
        "\n{} mails recorded, {} notifications written. Look closer with:\n  mailgate --config {} tickets show 5\n  mailgate --config {} messages list",
        report.recorded(),
        report.outbox.sent,
        relative(&config_path.display().to_string(), &std::env::current_dir().unwrap_or_default()),
        relative(&config_path.display().to_string(), &std::env::current_dir().unwrap_or_default()),
    );
    if let Some(web) = &config.web {
        let links = mailgate::web::links::Links::new(web, mailgate::web::links::load_or_create_key(&web.secret_file)?);
        let at = mailgate::clock::rfc3339(time::OffsetDateTime::now_utc());
        if let Some(t) = store.list_tickets(&TicketFilter::default())?.into_iter().next() {
            println!(
                "\nThe page of ticket #{} as its requester {} sees it (personal link):\n  {}",
                t.id,
                t.requester,
                links.ticket(t.id, &t.requester, &at)
            );
        }
        if serve {
            // The whole daemon, not the pages alone: an answer on a page
            // goes through the writer and its notification is written
            // under outbox/, and a mail dropped into Maildir/new is taken.
            println!("\nServing the pages on http://{} (Ctrl-C to stop)", web.listen);
            rt.block_on(async {
                let daemon = Daemon::new(config.clone(), Arc::new(SystemClock))?;
                let (_reloads, never) = tokio::sync::mpsc::channel(1);
                daemon.run(async { drop(tokio::signal::ctrl_c().await) }, never).await?;
                anyhow::Ok(())
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo's pages: on loopback, links to this machine.
const DEMO_WEB: &str =
    "\n[web]\nlisten = \"127.0.0.1:8025\"\nbase_url = \"http://127.0.0.1:8025\"\nsecret_file = \"web-secret.key\"\n";

/// A fresh folder: created, or emptied when it holds an earlier demo. A
/// folder that is not a demo is never touched.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let is_demo = dir.join(MARKER).exists();
        let is_empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !is_demo && !is_empty {
            bail!("{} exists and is not a mailgate demo folder; choose another with --dir", dir.display());
        }
        if is_demo {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("cannot remove the earlier demo in {}", dir.display()))?;
        }
    }
    for sub in ["Maildir/new", "Maildir/cur", "Maildir/tmp"] {
        std::fs::create_dir_all(dir.join(sub)).with_context(|| format!("cannot create {}", dir.join(sub).display()))?;
    }
    std::fs::write(dir.join(MARKER), "built by `mailgate demo`; removed by the next one\n")?;
    std::fs::write(dir.join("mailgate.toml"), format!("{CONFIG}{DEMO_WEB}"))?;
    Ok(())
}

fn relative(path: &str, base: &Path) -> String {
    Path::new(path).strip_prefix(base).map(|p| p.display().to_string()).unwrap_or_else(|_| path.to_string())
}
