//! Fault injection for the crash tests: with `MAILGATE_FAULT=<point>` in
//! the environment, the process kills itself with SIGKILL at that point,
//! exactly as a power cut or the OOM killer would, so the tests can check
//! what a restart finds. Unset, a point costs one environment lookup.
//!
//! Points: `kill-before-ack` (a batch is durable, its source not yet told),
//! `kill-after-send` (the MTA accepted a notification, the outbox does not
//! know yet).

pub fn point(name: &str) {
    if std::env::var("MAILGATE_FAULT").is_ok_and(|f| f == name) {
        tracing::warn!(point = name, "MAILGATE_FAULT: killing the process");
        let _ = std::process::Command::new("kill").arg("-KILL").arg(std::process::id().to_string()).status();
        std::process::abort();
    }
}
