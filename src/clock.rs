//! Time as a parameter. Everything that stamps or schedules asks a [`Clock`],
//! so tests can run a ticket's life in a blink and the core stays pure.
//! Stored times are UTC; the one thing people schedule by their wall clock,
//! the daily digest, asks the clock for the local offset too.

use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// The offset from UTC of the machine's time zone at `at`; UTC unless
    /// the clock knows better, so a test clock is on UTC by default.
    fn local_offset(&self, _at: OffsetDateTime) -> UtcOffset {
        UtcOffset::UTC
    }

    /// Now on the local wall clock.
    fn local_now(&self) -> OffsetDateTime {
        let now = self.now();
        now.to_offset(self.local_offset(now))
    }

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

    /// The zone of `TZ`, else of /etc/localtime (as `date` shows), through
    /// chrono: `time`'s own local offset is refused in a multi-threaded
    /// program, since it calls libc's `localtime_r`, which reads the
    /// environment; chrono reads the zone file itself. Summer time is
    /// followed. An unknown zone is UTC.
    fn local_offset(&self, at: OffsetDateTime) -> UtcOffset {
        let Some(utc) = chrono::DateTime::from_timestamp(at.unix_timestamp(), 0) else {
            return UtcOffset::UTC;
        };
        let seconds = chrono::Offset::fix(utc.with_timezone(&chrono::Local).offset()).local_minus_utc();
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.unix_timestamp().to_string())
}
