//! The targets the scanner knows: a projection built from the scans it
//! ran (where the image lives, the digest and scan that are current) and
//! from `targets.deleted`.
//!
//! A target is *live* when it has a completed scan and no deletion was
//! seen. Only live targets are matched again after a database update: a
//! target that was never scanned has no inventory to match, and a
//! deleted one keeps its issues for audit but is not scanned any more.
//! `targets.created` is not needed for this, so it is not consumed.

use std::time::SystemTime;

use anyhow::Context as _;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, Condition, QueryOrder, QuerySelect};
use tagwarden_bus::events::ImageLocation;

use super::to_millis;

/// The `target` table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "target")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_name = "target_id")]
    pub(crate) id: String,
    pub(crate) integration_id: String,
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) registry: String,
    pub(crate) repository: String,
    pub(crate) current_tag: Option<String>,
    pub(crate) current_digest: Option<String>,
    pub(crate) current_scan_id: Option<String>,
    /// The advisory database the current scan's findings came from.
    pub(crate) database_version: Option<String>,
    pub(crate) deleted: bool,
    pub(crate) updated_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Where the target's image lives, as events carry it.
    pub(crate) fn location(&self) -> ImageLocation {
        ImageLocation {
            integration_id: self.integration_id.clone(),
            provider: self.provider.clone(),
            account: self.account.clone(),
            registry: self.registry.clone(),
            repository: self.repository.clone(),
        }
    }
}

fn new_row(target_id: &str, image: &ImageLocation, deleted: bool, now: SystemTime) -> ActiveModel {
    ActiveModel {
        id: Set(target_id.to_owned()),
        integration_id: Set(image.integration_id.clone()),
        provider: Set(image.provider.clone()),
        account: Set(image.account.clone()),
        registry: Set(image.registry.clone()),
        repository: Set(image.repository.clone()),
        current_tag: Set(None),
        current_digest: Set(None),
        current_scan_id: Set(None),
        database_version: Set(None),
        deleted: Set(deleted),
        updated_at_ms: Set(to_millis(now)),
    }
}

/// Adds the target if it is new; leaves an existing one as it is. Safe
/// when two instances add it at once.
pub(crate) async fn ensure(
    db: &impl ConnectionTrait,
    target_id: &str,
    image: &ImageLocation,
    now: SystemTime,
) -> anyhow::Result<()> {
    Entity::insert(new_row(target_id, image, false, now))
        .on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned())
        .exec_without_returning(db)
        .await
        .with_context(|| format!("failed to add target {target_id}"))?;
    Ok(())
}

/// The target, locked until the transaction ends, so that two results for
/// one target (a scan and a database rematch, or two instances) are
/// written one after the other and each diffs against the other's issues.
pub(crate) async fn lock(db: &impl ConnectionTrait, target_id: &str) -> anyhow::Result<Model> {
    Entity::find_by_id(target_id.to_owned())
        .lock_exclusive()
        .one(db)
        .await
        .with_context(|| format!("failed to load target {target_id}"))?
        .with_context(|| format!("target {target_id} vanished inside its transaction"))
}

/// The target, if known.
pub(crate) async fn get(
    db: &impl ConnectionTrait,
    target_id: &str,
) -> anyhow::Result<Option<Model>> {
    Entity::find_by_id(target_id.to_owned())
        .one(db)
        .await
        .with_context(|| format!("failed to load target {target_id}"))
}

/// Makes `scan_id` (of `digest`, matched against `database_version`) the
/// target's current result.
pub(crate) async fn set_current(
    db: &impl ConnectionTrait,
    target: Model,
    current: Current<'_>,
    now: SystemTime,
) -> anyhow::Result<()> {
    let target_id = target.id.clone();
    let mut row: ActiveModel = target.into();
    row.current_tag = Set(Some(current.tag.to_owned()));
    row.current_digest = Set(Some(current.digest.to_owned()));
    row.current_scan_id = Set(Some(current.scan_id.to_owned()));
    row.database_version = Set(Some(current.database_version.to_owned()));
    row.updated_at_ms = Set(to_millis(now));
    row.update(db)
        .await
        .with_context(|| format!("failed to update target {target_id}"))?;
    Ok(())
}

/// What [`set_current`] records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Current<'a> {
    pub(crate) scan_id: &'a str,
    pub(crate) tag: &'a str,
    pub(crate) digest: &'a str,
    pub(crate) database_version: &'a str,
}

/// Marks the target deleted, adding it first if no scan of it was seen.
pub(crate) async fn mark_deleted(
    db: &impl ConnectionTrait,
    target_id: &str,
    image: &ImageLocation,
    now: SystemTime,
) -> anyhow::Result<()> {
    Entity::insert(new_row(target_id, image, true, now))
        .on_conflict(
            OnConflict::column(Column::Id)
                .update_columns([Column::Deleted, Column::UpdatedAtMs])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .with_context(|| format!("failed to mark target {target_id} deleted"))?;
    Ok(())
}

/// Live targets whose current findings came from a database other than
/// `version`, after `after` in id order, `limit` at most.
pub(crate) async fn stale(
    db: &impl ConnectionTrait,
    version: &str,
    after: Option<&str>,
    limit: u64,
) -> anyhow::Result<Vec<Model>> {
    let mut condition = Condition::all()
        .add(Column::Deleted.eq(false))
        .add(Column::CurrentScanId.is_not_null())
        .add(
            Condition::any()
                .add(Column::DatabaseVersion.is_null())
                .add(Column::DatabaseVersion.ne(version)),
        );
    if let Some(after) = after {
        condition = condition.add(Column::Id.gt(after));
    }
    Entity::find()
        .filter(condition)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("failed to list targets to match again")
}
