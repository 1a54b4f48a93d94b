//! Time as a parameter. Everything that stamps or schedules asks a [`Clock`],
//! so tests can run a ticket's life in a blink and the core stays pure.

use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// Now, as stored: RFC 3339 in UTC, to the second, so that stored times
    /// sort as text.
    fn now_rfc3339(&self) -> String {
        rfc3339(self.now())
    }

    fn rfc3339_after(&self, delay: Duration) -> String {
        rfc3339(self.now() + delay)
    }
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.unix_timestamp().to_string())
}
