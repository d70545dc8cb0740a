//! The service's own datastore: one file per aggregate, each with its
//! sea-orm entity and the few statements the service runs on it.
//!
//! - [`images`]: what discovery has seen, fed by its events;
//! - [`targets`]: targets, live and deleted;
//! - [`seats`]: the seat ledger and the one pool row that serialises it;
//! - [`outbox`]: events committed with the change they announce.

mod migration;

pub(crate) mod images;
pub(crate) mod outbox;
pub(crate) mod seats;
pub(crate) mod targets;

pub(crate) use migration::Migrator;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::request::ImageName;

/// Begins a transaction that will write.
///
/// On SQLite this is `BEGIN IMMEDIATE`: the write lock is taken before the
/// first read, so a transaction never has to upgrade a read lock, which
/// SQLite refuses with SQLITE_BUSY (without waiting) whenever another
/// writer committed in between; waiting for the lock up front obeys the
/// busy timeout instead. PostgreSQL ignores the mode; callers that must
/// serialise take a row lock ([`seats::lock_pool`]).
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Rows whose `registry` and `repository` columns are an image `name` may
/// mean: `registry/repository` split at any `/`, or the whole name as a
/// repository in any registry.
pub(crate) fn image_named<C: ColumnTrait>(
    name: &ImageName,
    registry: C,
    repository: C,
) -> Condition {
    name.splits().fold(
        Condition::any().add(repository.eq(name.as_str())),
        |any, (left, right)| {
            any.add(
                Condition::all()
                    .add(registry.eq(left))
                    .add(repository.eq(right)),
            )
        },
    )
}
