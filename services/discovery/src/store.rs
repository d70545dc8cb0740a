//! The service's own datastore: one file per aggregate, each with its
//! sea-orm entity and the few statements the service runs on it.
//!
//! - [`integrations`]: connected registries and their last sync result,
//!   never a secret (credentials are named, and resolved from config);
//! - [`images`]: the inventory, one row per tag (or untagged manifest);
//! - [`targets`]: the tag rules licensing reported, for the covered flag;
//! - [`outbox`]: events committed with the change they announce.

mod migration;

pub(crate) mod images;
pub(crate) mod integrations;
pub(crate) mod outbox;
pub(crate) mod targets;

pub(crate) use migration::Migrator;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Begins a transaction that will write.
///
/// On SQLite this is `BEGIN IMMEDIATE`: the write lock is taken before the
/// first read, so a sync that reads the inventory and then rewrites it
/// never fails with SQLITE_BUSY when another writer committed in between;
/// it waits for the lock up front instead.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
