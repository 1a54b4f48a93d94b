//! Ports for the servers the tests start (Dovecot, Postfix, mailgate's own
//! listener), taken below Linux's ephemeral range (32768-60999): a port the
//! kernel hands out for port 0 may be taken again a moment later as the
//! local port of some test's client connection (one test holds hundreds
//! open), and the server would then fail to bind.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A port free when asked, between 20000 and 32000. Within one test
/// process the ports are handed out in turn, never the same twice (for
/// 12,000 calls): a server stopped and restarted on its ports must find
/// them still its own, not given meanwhile to another test's server.
pub fn free_port() -> u16 {
    static START: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = *START.get_or_init(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        nanos ^ std::process::id()
    });
    for _ in 0..12_000 {
        let port = 20_000 + (start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000");
}
