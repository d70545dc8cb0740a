//! Advisory database imports, newest last: which version each import
//! brought, from where, and what it replaced. The newest row is the
//! version every instance should be matching with.

use std::time::SystemTime;

use anyhow::Context as _;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use super::to_millis;

/// The `database_import` table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "database_import")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    pub(crate) version: String,
    pub(crate) previous_version: Option<String>,
    /// The directory, zip or URL, as configured or asked for.
    pub(crate) source: String,
    pub(crate) advisories: i64,
    pub(crate) imported_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What one import brought.
#[derive(Debug, Clone)]
pub(crate) struct Import<'a> {
    pub(crate) version: &'a str,
    pub(crate) previous_version: Option<&'a str>,
    pub(crate) source: &'a str,
    pub(crate) advisories: usize,
}

/// Records an import.
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    import: Import<'_>,
    now: SystemTime,
) -> anyhow::Result<()> {
    let row = ActiveModel {
        version: Set(import.version.to_owned()),
        previous_version: Set(import.previous_version.map(str::to_owned)),
        source: Set(import.source.to_owned()),
        advisories: Set(i64::try_from(import.advisories).unwrap_or(i64::MAX)),
        imported_at_ms: Set(to_millis(now)),
        ..Default::default()
    };
    row.insert(db)
        .await
        .context("failed to record the database import")?;
    Ok(())
}

/// The newest import, if any.
pub(crate) async fn latest(db: &impl ConnectionTrait) -> anyhow::Result<Option<Model>> {
    Entity::find()
        .order_by_desc(Column::Id)
        .limit(1)
        .one(db)
        .await
        .context("failed to read the latest database import")
}
