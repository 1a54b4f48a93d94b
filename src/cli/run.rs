//! `mailgate run` and `mailgate messages replay`: the commands that write.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use mailgate::clock::SystemClock;
use mailgate::daemon::Daemon;
use mailgate::pipeline::Pipeline;

use super::{load_config, open_store};

pub fn runtime() -> anyhow::Result<Runtime> {
    Ok(Runtime(Some(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)))
}

/// A tokio runtime that, once the command's work is done, does not wait
/// for blocking tasks still running: a mail whose reading went past its
/// budget was recorded as refused and must not hold the process's exit.
pub struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    pub fn block_on<F: std::future::Future>(&self, work: F) -> F::Output {
        match &self.0 {
            Some(rt) => rt.block_on(work),
            None => unreachable!("the runtime is taken only on drop"),
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

pub fn daemon(config_path: &Path, once: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let rt = runtime()?;
    rt.block_on(async {
        let mut daemon = Daemon::new(config, Arc::new(SystemClock))?;
        if once {
            let report = daemon.once().await?;
            eprintln!(
                "mailgate: {} message(s) recorded, {} already recorded, {} left for a retry; {} notification(s) sent, {} delayed, {} failed",
                report.recorded(),
                report.already_recorded(),
                report.left_for_retry(),
                report.outbox.sent,
                report.outbox.retrying,
                report.outbox.failed
            );
            if !report.closed.is_empty() {
                eprintln!("mailgate: {} ticket(s) closed: their solution had no answer in time", report.closed.len());
            }
            if report.digests > 0 {
                eprintln!("mailgate: {} daily digest(s) of open tickets queued", report.digests);
            }
            for failure in &report.failed {
                eprintln!("mailgate: {}", failure.error);
            }
            // A source unreachable or stalled, or mail left for a retry:
            // try again later (75). A refused login or a bad setting needs
            // the operator (1).
            return Ok(if report.failed.iter().any(|f| !f.temporary) {
                ExitCode::FAILURE
            } else if !report.failed.is_empty() || report.left_for_retry() > 0 {
                ExitCode::from(super::EXIT_TEMPFAIL)
            } else {
                ExitCode::SUCCESS
            });
        }
        daemon.run(shutdown_signal(), reload_signals()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// A message per SIGHUP (`systemctl reload mailgate`).
fn reload_signals() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hup) => {
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        // A reload already waiting covers this one too.
                        let _ = tx.try_send(());
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "SIGHUP cannot be caught; reload by restarting"),
        }
    }
    rx
}

/// Completes on SIGTERM (how systemd stops a service) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutdown requested");
}

pub fn dry_run(config_path: &Path) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let rt = runtime()?;
    let verdicts = rt.block_on(mailgate::daemon::dry_run(config, Arc::new(SystemClock)))?;
    let mut table = super::table::Table::new(&["SOURCE", "KEY", "FROM", "SUBJECT", "WOULD BE"]);
    for v in &verdicts {
        table.row(vec![v.source.clone(), v.key.clone(), v.from.clone(), v.subject.clone(), v.outcome.clone()]);
    }
    table.print();
    eprintln!("mailgate: dry run over {} mail(s): nothing was recorded, moved or sent", verdicts.len());
    Ok(ExitCode::SUCCESS)
}

/// `messages replay ID`, or `messages release ID` when `release`.
pub fn replay(config_path: &Path, id: i64, release: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let store = open_store(&config)?;
    let mut pipeline = Pipeline::new(store, config, Arc::new(SystemClock))?;
    let applied = if release { pipeline.release(id)? } else { pipeline.replay(id)? };
    pipeline.make_durable()?;
    println!(
        "message {id} {} as message {}: {}{}{}",
        if release { "released" } else { "replayed" },
        applied.message_row,
        applied.outcome.as_str(),
        applied.ticket.map(|t| format!(" on ticket #{t}")).unwrap_or_default(),
        applied.reason.map(|r| format!(" ({})", mailgate::text::for_terminal(&r))).unwrap_or_default()
    );
    println!("notifications queued: {} (sent by `mailgate run`)", applied.notifications);
    Ok(ExitCode::SUCCESS)
}
