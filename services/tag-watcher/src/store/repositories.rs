//! Per repository: the tag list of the watcher's last look (to tell a tag
//! that appeared from one that was always there) and the tags discovery
//! last reported with their push times. Each has its own writer, so each
//! upsert touches only its own columns.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, OnConflict};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::pushed::Discovered;
use crate::repository::RepositoryKey;

/// The entity: one row per repository the watcher has heard of.
pub(crate) mod repository {
    use sea_orm::entity::prelude::*;

    /// What is known about one repository.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "repositories")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub registry: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub repository: String,
        /// JSON list of every tag at the last look; `None` before the first.
        #[sea_orm(column_type = "Text", nullable)]
        pub listing: Option<String>,
        pub listed_at: Option<DateTimeUtc>,
        /// JSON map of tag to [`crate::pushed::Discovered`].
        #[sea_orm(column_type = "Text", nullable)]
        pub discovered: Option<String>,
        /// The discovery event's time in microseconds, to refuse an older
        /// snapshot delivered late.
        pub discovered_micros: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use repository::Column;

/// What the store knows about a repository, decoded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    /// The tags at the last look, `None` if the watcher never looked.
    pub(crate) listing: Option<BTreeSet<String>>,
    /// What discovery last reported, by tag.
    pub(crate) discovered: BTreeMap<String, Discovered>,
}

/// What is known about `key`; empty when nothing is.
pub(crate) async fn known(db: &impl ConnectionTrait, key: &RepositoryKey) -> Result<Known, DbErr> {
    let id = (key.registry.clone(), key.repository.clone());
    let Some(row) = repository::Entity::find_by_id(id).one(db).await? else {
        return Ok(Known::default());
    };
    let listing = row.listing.as_deref().map(decode).transpose()?;
    let discovered = row.discovered.as_deref().map(decode).transpose()?;
    Ok(Known {
        listing,
        discovered: discovered.unwrap_or_default(),
    })
}

/// Stores the tag list just read.
pub(crate) async fn store_listing(
    db: &impl ConnectionTrait,
    key: &RepositoryKey,
    tags: &BTreeSet<String>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = repository::ActiveModel {
        registry: Set(key.registry.clone()),
        repository: Set(key.repository.clone()),
        listing: Set(Some(encode(tags)?)),
        listed_at: Set(Some(at)),
        discovered: NotSet,
        discovered_micros: NotSet,
    };
    let upsert = OnConflict::columns([Column::Registry, Column::Repository])
        .update_columns([Column::Listing, Column::ListedAt])
        .to_owned();
    repository::Entity::insert(row)
        .on_conflict(upsert)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Stores discovery's snapshot of the repository unless a newer one is
/// stored. An empty map records that the repository is gone. Returns
/// whether it was stored.
pub(crate) async fn store_discovered(
    db: &impl ConnectionTrait,
    key: &RepositoryKey,
    tags: &BTreeMap<String, Discovered>,
    observed_at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = repository::ActiveModel {
        registry: Set(key.registry.clone()),
        repository: Set(key.repository.clone()),
        listing: NotSet,
        listed_at: NotSet,
        discovered: Set(Some(encode(tags)?)),
        discovered_micros: Set(Some(observed_at.timestamp_micros())),
    };
    let stored = Expr::col((repository::Entity, Column::DiscoveredMicros));
    let newer = stored.clone().is_null().or(stored.lte(Expr::col((
        Alias::new("excluded"),
        Column::DiscoveredMicros,
    ))));
    let upsert = OnConflict::columns([Column::Registry, Column::Repository])
        .update_columns([Column::Discovered, Column::DiscoveredMicros])
        .action_and_where(newer)
        .to_owned();
    let stored = repository::Entity::insert(row)
        .on_conflict(upsert)
        .exec_without_returning(db)
        .await?;
    Ok(stored > 0)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, DbErr> {
    serde_json::to_string(value).map_err(|e| DbErr::Custom(format!("cannot encode: {e}")))
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, DbErr> {
    serde_json::from_str(text).map_err(|e| DbErr::Custom(format!("cannot decode: {e}")))
}
