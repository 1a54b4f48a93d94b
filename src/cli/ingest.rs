//! `mailgate ingest`: mail from files, or one mail from standard input, so
//! that an MTA can deliver with `|mailgate ingest`. The exit code is what
//! the MTA acts on: 0 recorded (whatever the outcome: a refused sender is
//! recorded, not bounced), 65 unreadable (recorded too, with its raw copy),
//! 75 temporary failure (nothing written: the MTA keeps the mail and retries).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use mailgate::clock::SystemClock;
use mailgate::daemon::Daemon;
use mailgate::intake::Outcome;
use mailgate::pipeline::Processed;

use super::{EXIT_DATAERR, EXIT_TEMPFAIL, load_config};

pub fn run(config_path: &Path, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    if files.is_empty() {
        let mut raw = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut raw) {
            eprintln!("mailgate: cannot read standard input: {e}");
            return Ok(ExitCode::from(EXIT_TEMPFAIL));
        }
        inputs.push(("stdin".into(), raw));
    } else {
        for f in files {
            match std::fs::read(f) {
                Ok(raw) => inputs.push((f.display().to_string(), raw)),
                Err(e) => {
                    eprintln!("mailgate: cannot read {}: {e}", f.display());
                    return Ok(ExitCode::from(EXIT_TEMPFAIL));
                }
            }
        }
    }

    let rt = super::run::runtime()?;
    rt.block_on(async {
        let mut daemon = match Daemon::new(config, Arc::new(SystemClock)) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("mailgate: {e}");
                return Ok(ExitCode::from(EXIT_TEMPFAIL));
            }
        };
        let writer = daemon.writer();
        let mut worst = 0u8;
        for (name, raw) in &inputs {
            // The key is the content: an MTA that retries after a lost
            // answer hands over the same bytes, which are then not recorded twice.
            let key = mailgate::mail::parse::sha256_hex(raw);
            match writer.process("ingest", key, raw.clone()).await {
                Ok(Processed::Recorded(a)) => {
                    let unreadable = a.outcome == Outcome::Refused
                        && a.reason.as_deref().is_some_and(|r| r.starts_with("unparseable"));
                    println!(
                        "{name}: {}{}{}",
                        a.outcome.as_str(),
                        a.ticket.map(|t| format!(" ticket #{t}")).unwrap_or_default(),
                        a.reason.map(|r| format!(" ({r})")).unwrap_or_default()
                    );
                    if unreadable {
                        worst = worst.max(EXIT_DATAERR);
                    }
                }
                Ok(Processed::AlreadyRecorded) => println!("{name}: already recorded"),
                Err(e) => {
                    eprintln!("mailgate: {name}: {e}");
                    worst = worst.max(EXIT_TEMPFAIL);
                }
            }
        }
        // The exit code is the MTA's acknowledgment: the records must be on
        // disk before it is given.
        if let Err(e) = writer.make_durable().await {
            eprintln!("mailgate: cannot make the record durable: {e}");
            return Ok(ExitCode::from(EXIT_TEMPFAIL));
        }
        if let Err(e) = daemon.drain_outbox().await {
            tracing::warn!(error = %e, "notifications stay queued for `mailgate run`");
        }
        Ok(ExitCode::from(worst))
    })
}
