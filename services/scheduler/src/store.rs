//! The scheduler's own datastore: one row of scheduling state per target,
//! the scan history, the outbox of scan requests not yet published and the
//! ids of events already handled.
//!
//! Times are stored as whole milliseconds since the Unix epoch in `BIGINT`
//! columns: they compare and index the same way on SQLite and PostgreSQL,
//! which text timestamps on SQLite do not.

mod inbox;
mod migration;
mod outbox;
pub(crate) mod scan;
pub(crate) mod target;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm_migration::{MigrationTrait, MigratorTrait};

pub(crate) use inbox::{forget_handled_before, mark_handled, was_handled};
pub(crate) use outbox::{enqueue, pending, remove};
pub(crate) use target::StoredTarget;

/// Applies the scheduler's migrations in order at every start.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(migration::Initial)]
    }
}

/// A time as stored: milliseconds since the epoch; times before it are
/// stored as the epoch.
pub(crate) fn to_millis(time: SystemTime) -> i64 {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A stored time back as a `SystemTime`.
pub(crate) fn from_millis(millis: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_at_millisecond_grain() {
        let time = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(from_millis(to_millis(time)), time);
        let finer = time + Duration::from_micros(999);
        assert_eq!(from_millis(to_millis(finer)), time);
        assert_eq!(to_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }
}
