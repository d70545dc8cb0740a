//! Ids of events already handled, so that a redelivered event (delivery is
//! at least once) changes nothing the second time. The id is written in the
//! same transaction as the event's effects.

use std::time::SystemTime;

use anyhow::Context as _;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

use super::to_millis;

/// The `handled_event` table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "handled_event")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) event_id: String,
    pub(crate) handled_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Whether this event's effects are already committed.
pub(crate) async fn was_handled(db: &impl ConnectionTrait, event_id: &str) -> anyhow::Result<bool> {
    let found = Entity::find_by_id(event_id.to_owned())
        .one(db)
        .await
        .with_context(|| format!("failed to look up event {event_id}"))?;
    Ok(found.is_some())
}

/// Remembers that this event's effects are committed with this transaction.
pub(crate) async fn mark_handled(
    db: &impl ConnectionTrait,
    event_id: &str,
    now: SystemTime,
) -> anyhow::Result<()> {
    let row = ActiveModel {
        event_id: Set(event_id.to_owned()),
        handled_at_ms: Set(to_millis(now)),
    };
    row.insert(db)
        .await
        .with_context(|| format!("failed to remember event {event_id}"))?;
    Ok(())
}

/// Forgets ids handled before `cutoff`. Streams keep events 14 days, so
/// nothing older than that can be delivered again.
pub(crate) async fn forget_handled_before(
    db: &impl ConnectionTrait,
    cutoff: SystemTime,
) -> anyhow::Result<u64> {
    let deleted = Entity::delete_many()
        .filter(Column::HandledAtMs.lt(to_millis(cutoff)))
        .exec(db)
        .await
        .context("failed to forget old event ids")?;
    Ok(deleted.rows_affected)
}
