//! Fault injection for the crash tests: with `MAILGATE_FAULT=<point>` in
//! the environment, the process kills itself with SIGKILL at that point,
//! exactly as a power cut or the OOM killer would, so the tests can check
//! what a restart finds. Unset, a point costs one environment lookup.
//!
//! Points: `kill-before-ack` (a batch is durable, its source not yet told),
//! `kill-after-send` (the MTA accepted a notification, the outbox does not
//! know yet). Stalls: `stall-read:<key>` (reading the mail a source calls
//! `<key>` never ends, as a parser meeting its worst case would).
//!
//! The hooks exist only with the `fault-injection` cargo feature, which the
//! test builds enable (the crate is its own dev-dependency with it, see
//! Cargo.toml). A release build has none: there, [`point`] and [`stall`]
//! are empty and `MAILGATE_FAULT` is never read, so no environment variable
//! can make a production daemon kill itself or stall.

/// Kills the process here when `MAILGATE_FAULT` names this point.
#[cfg(feature = "fault-injection")]
pub fn point(name: &str) {
    if std::env::var("MAILGATE_FAULT").is_ok_and(|f| f == name) {
        tracing::warn!(point = name, "MAILGATE_FAULT: killing the process");
        let _ = std::process::Command::new("kill").arg("-KILL").arg(std::process::id().to_string()).status();
        std::process::abort();
    }
}

/// Blocks the calling thread for an hour when `MAILGATE_FAULT` is
/// `<name>:<key>`: the work budget's test of a mail that never finishes.
#[cfg(feature = "fault-injection")]
pub fn stall(name: &str, key: &str) {
    let Ok(fault) = std::env::var("MAILGATE_FAULT") else { return };
    if fault.split_once(':').is_some_and(|(point, k)| point == name && k == key) {
        tracing::warn!(point = name, key, "MAILGATE_FAULT: stalling");
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// Without the `fault-injection` feature, a crash point does nothing.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_name: &str) {}

/// Without the `fault-injection` feature, a stall does nothing.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn stall(_name: &str, _key: &str) {}
