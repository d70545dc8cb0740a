//! The service's own datastore: one file per aggregate, each with its
//! sea-orm entity and the few statements the service runs on it.
//!
//! - [`targets`]: targets and what each resolves to now;
//! - [`repositories`]: per repository, the last tag listing and what
//!   discovery reported;
//! - [`sightings`]: per watched tag, the digest seen and since when;
//! - [`outbox`]: events committed with the resolution they announce.

mod migration;

pub(crate) mod outbox;
pub(crate) mod repositories;
pub(crate) mod sightings;
pub(crate) mod targets;

pub(crate) use migration::Migrator;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Begins a transaction that will write.
///
/// On SQLite this is `BEGIN IMMEDIATE`: the write lock is taken before the
/// first read, so the transaction never has to upgrade a read lock, which
/// SQLite refuses at once (without the busy timeout) when another writer
/// committed in between. PostgreSQL ignores the mode; the watcher's writes
/// guard themselves with a revision check instead.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
