//! Time as a parameter, so tests can pin it.

use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    /// The real clock: the one place that reads the wall clock.
    #[allow(clippy::disallowed_methods)]
    pub fn system() -> Self {
        Self(Arc::new(OffsetDateTime::now_utc))
    }

    pub fn fixed(at: OffsetDateTime) -> Self {
        Self(Arc::new(move || at))
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }

    /// Milliseconds since the Unix epoch, the unit stored in the database.
    /// Today's date (UTC).
    pub fn today(&self) -> time::Date {
        self.now().date()
    }

    /// Today as `YYYY-MM-DD` (UTC), for release-note headings.
    pub fn date_string(&self) -> String {
        format_date_ms(self.now_ms())
    }

    pub fn now_ms(&self) -> i64 {
        to_ms(self.now())
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

pub fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// "2026-11-23 14:05 UTC": how times are shown in the portal.
/// The UTC date of an instant, `2026-12-01`.
pub fn format_date_ms(ms: i64) -> String {
    let t = from_ms(ms);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

pub fn format_ms(ms: i64) -> String {
    let t = from_ms(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2026-12-06T21:30:00Z`: RFC 3339, for machines (webhook payloads).
pub fn format_rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_trip_and_format() {
        let t = time::macros::datetime!(2026-11-23 14:05:09.123 UTC);
        assert_eq!(from_ms(to_ms(t)), t);
        assert_eq!(format_ms(to_ms(t)), "2026-11-23 14:05 UTC");
        assert_eq!(Clock::fixed(t).now_ms(), to_ms(t));
    }
}
