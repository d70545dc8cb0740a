//! The package inventory of every scanned digest, so a new advisory
//! database can be matched against it without pulling the image again.
//! Keyed by manifest digest alone: a digest names the same bytes in every
//! repository. The newest scan's inventory replaces an older one (a newer
//! engine may read more of the same image).

use std::time::SystemTime;

use anyhow::Context as _;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use tagwarden_engine::inventory::Inventory;

use super::to_millis;

/// The `inventory` table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) digest: String,
    pub(crate) packages: i64,
    /// The engine's `Inventory` as JSON.
    pub(crate) contents: String,
    pub(crate) updated_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Stores (or replaces) the inventory of `digest`.
pub(crate) async fn save(
    db: &impl ConnectionTrait,
    digest: &str,
    inventory: &Inventory,
    now: SystemTime,
) -> anyhow::Result<()> {
    let contents = serde_json::to_string(inventory).context("failed to encode an inventory")?;
    let row = ActiveModel {
        digest: Set(digest.to_owned()),
        packages: Set(i64::try_from(inventory.packages.len()).unwrap_or(i64::MAX)),
        contents: Set(contents),
        updated_at_ms: Set(to_millis(now)),
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::Digest)
                .update_columns([Column::Packages, Column::Contents, Column::UpdatedAtMs])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .with_context(|| format!("failed to store the inventory of {digest}"))?;
    Ok(())
}

/// The stored inventory of `digest`, if any.
pub(crate) async fn load(
    db: &impl ConnectionTrait,
    digest: &str,
) -> anyhow::Result<Option<Inventory>> {
    let Some(row) = Entity::find_by_id(digest.to_owned())
        .one(db)
        .await
        .with_context(|| format!("failed to load the inventory of {digest}"))?
    else {
        return Ok(None);
    };
    let inventory = serde_json::from_str(&row.contents)
        .with_context(|| format!("the stored inventory of {digest} is unreadable"))?;
    Ok(Some(inventory))
}
