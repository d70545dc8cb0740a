//! Events committed but not yet confirmed published.
//!
//! A scan's `scans.completed` or `scans.failed`, and an import's
//! `vulndb.updated`, are written here in the same transaction as what they
//! report, with the envelope (and so the event id) already fixed. The
//! relay publishes and then deletes each; a crash in between publishes it
//! again under the same id, which JetStream drops as a duplicate.

use std::time::SystemTime;

use anyhow::Context as _;
use prost::Message as _;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect};
use tagwarden_bus::Envelope;

use super::to_millis;

/// The `outbox` table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    pub(crate) event_id: String,
    /// The protobuf-encoded envelope, published as it is.
    pub(crate) envelope: Vec<u8>,
    pub(crate) created_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Queues an envelope for publishing.
pub(crate) async fn enqueue(
    db: &impl ConnectionTrait,
    envelope: &Envelope,
    now: SystemTime,
) -> anyhow::Result<()> {
    let row = ActiveModel {
        event_id: Set(envelope.event_id.clone()),
        envelope: Set(envelope.encode_to_vec()),
        created_at_ms: Set(to_millis(now)),
        ..Default::default()
    };
    row.insert(db)
        .await
        .with_context(|| format!("failed to queue event {}", envelope.event_id))?;
    Ok(())
}

/// The oldest queued envelopes, in the order they were committed.
pub(crate) async fn pending(db: &impl ConnectionTrait, limit: u64) -> anyhow::Result<Vec<Model>> {
    Entity::find()
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("failed to read the outbox")
}

/// Drops an envelope once JetStream confirmed it stored it.
pub(crate) async fn remove(db: &impl ConnectionTrait, id: i64) -> anyhow::Result<()> {
    Entity::delete_by_id(id)
        .exec(db)
        .await
        .with_context(|| format!("failed to remove outbox entry {id}"))?;
    Ok(())
}
