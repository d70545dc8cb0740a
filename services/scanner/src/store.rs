//! The scanner's own datastore: the targets it has scanned (a projection:
//! current digest and scan, deleted or not), every scan with its counts,
//! each scan's findings as found, the issues of each target with their
//! state, the package inventory of each scanned digest, the advisory
//! database imports, and the outbox of events not yet published.
//!
//! Times are whole milliseconds since the Unix epoch in `BIGINT` columns,
//! as in the other services: they compare the same way on SQLite and
//! PostgreSQL. Lists (aliases, the not-covered packages, a finding's
//! whole record) are JSON text: they are read whole, never queried into.

pub(crate) mod database;
pub(crate) mod finding;
pub(crate) mod inventory;
pub(crate) mod issue;
mod migration;
pub(crate) mod outbox;
pub(crate) mod scan;
pub(crate) mod target;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Applies the scanner's migrations in order at every start.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(migration::Initial)]
    }
}

/// A time as stored: milliseconds since the epoch.
pub(crate) fn to_millis(time: SystemTime) -> i64 {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A stored time back as a `SystemTime`.
pub(crate) fn from_millis(millis: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// A stored time as a protobuf timestamp.
pub(crate) fn timestamp(millis: i64) -> prost_types::Timestamp {
    from_millis(millis).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_at_millisecond_grain() {
        let time = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(from_millis(to_millis(time)), time);
        assert_eq!(
            from_millis(to_millis(time + Duration::from_micros(999))),
            time
        );
        assert_eq!(to_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }
}
