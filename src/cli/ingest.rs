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
use mailgate::mail::parse;
use mailgate::pipeline::Processed;
use mailgate::source::{OVERSIZED_HEAD_BYTES, RawMessage};
use sha2::{Digest, Sha256};

use super::{EXIT_DATAERR, EXIT_TEMPFAIL, load_config};

pub fn run(config_path: &Path, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let max = config.limits.max_message_bytes;
    let mut inputs: Vec<(String, RawMessage)> = Vec::new();
    if files.is_empty() {
        match read_bounded(std::io::stdin().lock(), max) {
            Ok(message) => inputs.push(("stdin".into(), message)),
            Err(e) => {
                eprintln!("mailgate: cannot read standard input: {e}");
                return Ok(ExitCode::from(EXIT_TEMPFAIL));
            }
        }
    } else {
        for f in files {
            match std::fs::File::open(f).and_then(|file| read_bounded(file, max)) {
                Ok(message) => inputs.push((f.display().to_string(), message)),
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
        // Outcomes are printed only once they are on disk: an MTA (or a
        // person) reading "ticket_created" must be able to rely on it.
        let mut said = Vec::new();
        for (name, message) in inputs {
            match writer.process_batch("ingest", vec![message]).await.map(|mut r| r.pop()) {
                Ok(Some(Ok(Processed::Recorded(a)))) => {
                    let unreadable = a.outcome == Outcome::Refused
                        && a.reason.as_deref().is_some_and(|r| r.starts_with("unparseable"));
                    said.push(format!(
                        "{name}: {}{}{}",
                        a.outcome.as_str(),
                        a.ticket.map(|t| format!(" ticket #{t}")).unwrap_or_default(),
                        a.reason.map(|r| format!(" ({})", mailgate::text::for_terminal(&r))).unwrap_or_default()
                    ));
                    if unreadable {
                        worst = worst.max(EXIT_DATAERR);
                    }
                }
                Ok(Some(Ok(Processed::AlreadyRecorded(_)))) => said.push(format!("{name}: already recorded")),
                Ok(Some(Err(e))) => {
                    eprintln!("mailgate: {name}: {e}");
                    worst = worst.max(EXIT_TEMPFAIL);
                }
                Ok(None) | Err(_) => {
                    eprintln!("mailgate: {name}: the writer stopped");
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
        for line in said {
            println!("{line}");
        }
        if let Err(e) = daemon.drain_outbox().await {
            tracing::warn!(error = %e, "notifications stay queued for `mailgate run`");
        }
        Ok(ExitCode::from(worst))
    })
}

/// Reads one mail, never holding more than `max` + 1 bytes of it: a mail
/// over the limit keeps only its head, and the rest is read through (so the
/// MTA's pipe is not broken) and counted. The key is the SHA-256 of all the
/// bytes: an MTA that retries after a lost answer hands over the same
/// bytes, which are then not recorded twice.
fn read_bounded(input: impl Read, max: u64) -> std::io::Result<RawMessage> {
    let mut hasher = Sha256::new();
    let mut bytes = Vec::new();
    let mut limited = input.take(max.saturating_add(1));
    limited.read_to_end(&mut bytes)?;
    hasher.update(&bytes);
    let mut size = bytes.len() as u64;
    if size <= max {
        let key = parse::hex(&hasher.finalize());
        return Ok(RawMessage::new(key, bytes));
    }
    bytes.truncate(OVERSIZED_HEAD_BYTES);
    bytes.shrink_to_fit();
    let mut rest = limited.into_inner();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match rest.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buffer[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(RawMessage::oversized(parse::hex(&hasher.finalize()), bytes, size))
}
