//! Events waiting to be published. A row is written in the same
//! transaction as the change it announces, holding the whole encoded
//! envelope, so its event id is fixed before it is ever sent: the relay can
//! send it again after a crash and JetStream drops the repeat.
//!
//! A sync of a large registry announces many repositories, so published
//! rows are kept for a day, as a record of what was announced and when,
//! and then deleted by the relay ([`prune`]).

use chrono::{DateTime, Utc};
use prost::Message as _;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::QuerySelect;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use tagwarden_bus::{Envelope, Subject};

/// The entity: one row per event.
pub(crate) mod row {
    use sea_orm::entity::prelude::*;

    /// An event, encoded, and whether it has been published.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub(crate) struct Model {
        /// Insertion order, which is publication order.
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub event_id: String,
        /// The contract subject, for logs and for operators reading the table.
        pub subject: String,
        /// The protobuf-encoded envelope, exactly as it will be sent.
        pub envelope: Vec<u8>,
        pub created_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Rows inserted per statement, well under every backend's limit on
/// bound parameters.
const INSERT_BATCH: usize = 500;

/// Adds events to the outbox in order, inside the caller's transaction.
pub(crate) async fn push_all(
    txn: &impl ConnectionTrait,
    envelopes: &[Envelope],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for batch in envelopes.chunks(INSERT_BATCH) {
        let rows = batch.iter().map(|envelope| {
            let subject = envelope
                .event
                .as_ref()
                .map_or("", |event| Subject::of(event).as_str());
            row::ActiveModel {
                id: NotSet,
                event_id: Set(envelope.event_id.clone()),
                subject: Set(subject.to_owned()),
                envelope: Set(envelope.encode_to_vec()),
                created_at: Set(now),
                published_at: Set(None),
            }
        });
        row::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Deletes rows published before `before`.
pub(crate) async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let deleted = row::Entity::delete_many()
        .filter(row::Column::PublishedAt.lt(before))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Up to `limit` unpublished rows, oldest first.
pub(crate) async fn pending(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<row::Model>, DbErr> {
    row::Entity::find()
        .filter(row::Column::PublishedAt.is_null())
        .order_by_asc(row::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Records that JetStream stored the row's event.
pub(crate) async fn mark_published(
    db: &impl ConnectionTrait,
    id: i64,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    row::Entity::update_many()
        .col_expr(row::Column::PublishedAt, Expr::value(Some(at)))
        .filter(row::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
