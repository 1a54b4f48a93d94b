//! Fault injection for the crash tests: with `MAILGATE_FAULT=<point>` in
//! the environment, the process kills itself with SIGKILL at that point,
//! exactly as a power cut or the OOM killer would, so the tests can check
//! what a restart finds. Unset, a point costs one environment lookup.
//!
//! Points: `kill-before-ack` (a batch is durable, its source not yet told),
//! `kill-after-send` (the MTA accepted a notification, the outbox does not
//! know yet). Stalls: `stall-read:<key>` (reading the mail a source calls
//! `<key>` never ends, as a parser meeting its worst case would).

pub fn point(name: &str) {
    if std::env::var("MAILGATE_FAULT").is_ok_and(|f| f == name) {
        tracing::warn!(point = name, "MAILGATE_FAULT: killing the process");
        let _ = std::process::Command::new("kill").arg("-KILL").arg(std::process::id().to_string()).status();
        std::process::abort();
    }
}

/// Blocks the calling thread for an hour when `MAILGATE_FAULT` is
/// `<name>:<key>`: the work budget's test of a mail that never finishes.
pub fn stall(name: &str, key: &str) {
    let Ok(fault) = std::env::var("MAILGATE_FAULT") else { return };
    if fault.split_once(':').is_some_and(|(point, k)| point == name && k == key) {
        tracing::warn!(point = name, key, "MAILGATE_FAULT: stalling");
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
