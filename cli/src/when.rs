//! Times given on the command line (`--since`, `--until`): an RFC 3339
//! time, a UTC date, or an age such as `90m`, `24h`, `7d`, `2w`.
//!
//! Parsing keeps an age as an age; it becomes a time only when the command
//! runs, so parsing stays a pure function of its input.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// A point in time as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeArg {
    At(DateTime<Utc>),
    Ago(TimeDelta),
}

impl TimeArg {
    /// The time meant, counting an age back from `now`.
    pub(crate) fn at(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::At(at) => at,
            Self::Ago(age) => now - age,
        }
    }
}

impl FromStr for TimeArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(Self::At(at.to_utc()));
        }
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(Self::At(day.and_time(chrono::NaiveTime::MIN).and_utc()));
        }
        age(text).map(Self::Ago).ok_or_else(|| {
            format!(
                "{text:?} is not a time: use RFC 3339 (2026-03-01T12:00:00Z), \
                 a UTC date (2026-03-01) or an age (90m, 24h, 7d, 2w)"
            )
        })
    }
}

/// `90s`, `90m`, `24h`, `7d`, `2w`.
fn age(text: &str) -> Option<TimeDelta> {
    let split = text.len().checked_sub(1)?;
    let (number, unit) = text.split_at_checked(split)?;
    let number: i64 = number.parse().ok().filter(|n| *n >= 0)?;
    match unit {
        "s" => TimeDelta::try_seconds(number),
        "m" => TimeDelta::try_minutes(number),
        "h" => TimeDelta::try_hours(number),
        "d" => TimeDelta::try_days(number),
        "w" => TimeDelta::try_weeks(number),
        _ => None,
    }
}

/// A time as a proto timestamp.
pub(crate) fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn reads_times_dates_and_ages() {
        assert_eq!(
            "2026-03-01T13:00:00+01:00".parse(),
            Ok(TimeArg::At(utc("2026-03-01T12:00:00Z")))
        );
        assert_eq!(
            "2026-03-01".parse(),
            Ok(TimeArg::At(utc("2026-03-01T00:00:00Z")))
        );
        assert_eq!("90m".parse(), Ok(TimeArg::Ago(TimeDelta::minutes(90))));
        assert_eq!("7d".parse(), Ok(TimeArg::Ago(TimeDelta::days(7))));
        assert_eq!("2w".parse(), Ok(TimeArg::Ago(TimeDelta::weeks(2))));
    }

    #[test]
    fn rejects_anything_else() {
        for text in ["", "d", "-5m", "7y", "yesterday", "2026-13-01"] {
            let err = text.parse::<TimeArg>().unwrap_err();
            assert!(err.contains("is not a time"), "{text}: {err}");
        }
    }

    #[test]
    fn an_age_counts_back_from_now() {
        let now = utc("2026-03-08T12:00:00Z");
        let week = "7d".parse::<TimeArg>().unwrap();
        assert_eq!(week.at(now), utc("2026-03-01T12:00:00Z"));
        assert_eq!(timestamp(now).seconds, now.timestamp());
    }
}
