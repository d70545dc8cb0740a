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
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// The PostgreSQL advisory lock key that serialises inventory writes.
const INVENTORY_LOCK: i64 = 0x7461_6777_6469_7363;

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

/// Begins a transaction that rewrites inventory rows or their covered
/// flag. A sync reads the targets' rules and then writes rows; a target
/// event recomputes the flag of rows. Were the two to interleave, rows
/// written with the rules read before a new target would miss its flag
/// until the repository next changed. SQLite's `BEGIN IMMEDIATE` already
/// runs one writer at a time; on PostgreSQL a transaction-scoped advisory
/// lock does.
pub(crate) async fn begin_inventory_write(
    db: &DatabaseConnection,
) -> Result<DatabaseTransaction, DbErr> {
    let txn = begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let lock = format!("SELECT pg_advisory_xact_lock({INVENTORY_LOCK})");
        txn.execute_unprepared(&lock).await?;
    }
    Ok(txn)
}
