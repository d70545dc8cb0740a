//! Connected registries and the result of their last sync. Settings are
//! stored as JSON; credentials are only ever a name (`credential_ref`)
//! resolved from the service's config.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};

/// The entity: one row per integration.
pub(crate) mod integration {
    use sea_orm::entity::prelude::*;

    /// A connected registry.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "integrations")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        #[sea_orm(unique)]
        pub name: String,
        pub provider: String,
        /// Cloud account, project or subscription; learned at the first
        /// sync when not configured.
        pub account: String,
        /// Registry host; learned at the first sync for ECR and Artifact
        /// Registry when not configured.
        pub registry: String,
        /// Provider settings as a JSON object of strings.
        #[sea_orm(column_type = "Text")]
        pub settings: String,
        pub credential_ref: String,
        pub created_at: DateTimeUtc,
        pub sync_started_at: Option<DateTimeUtc>,
        pub sync_finished_at: Option<DateTimeUtc>,
        /// `None` until the first sync finished.
        pub sync_ok: Option<bool>,
        #[sea_orm(column_type = "Text")]
        pub sync_error: String,
        pub sync_repositories: i32,
        pub sync_tags: i32,
        pub sync_discovered: i32,
        pub sync_removed: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use integration::{ActiveModel, Column, Entity, Model};

/// What a new integration is made of, already validated.
#[derive(Debug, Clone)]
pub(crate) struct NewIntegration {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) provider: String,
    pub(crate) registry: String,
    pub(crate) settings: BTreeMap<String, String>,
    pub(crate) credential_ref: String,
}

/// The outcome of one sync, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SyncOutcome {
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) finished_at: DateTime<Utc>,
    /// `None` when it succeeded.
    pub(crate) error: Option<String>,
    pub(crate) repositories: u32,
    pub(crate) tags: u32,
    pub(crate) discovered: u32,
    pub(crate) removed: u32,
}

/// Stores a new integration that has never synced.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    new: NewIntegration,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    let settings = serde_json::to_string(&new.settings)
        .map_err(|e| DbErr::Custom(format!("cannot encode settings: {e}")))?;
    let row = ActiveModel {
        id: Set(new.id.clone()),
        name: Set(new.name),
        provider: Set(new.provider),
        account: Set(String::new()),
        registry: Set(new.registry),
        settings: Set(settings),
        credential_ref: Set(new.credential_ref),
        created_at: Set(now),
        sync_started_at: Set(None),
        sync_finished_at: Set(None),
        sync_ok: Set(None),
        sync_error: Set(String::new()),
        sync_repositories: Set(0),
        sync_tags: Set(0),
        sync_discovered: Set(0),
        sync_removed: Set(0),
    };
    Entity::insert(row).exec_without_returning(db).await?;
    find(db, &new.id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(new.id))
}

/// The integration with `id`, if any.
pub(crate) async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id.to_owned()).one(db).await
}

/// Every integration, by name.
pub(crate) async fn all(db: &impl ConnectionTrait) -> Result<Vec<Model>, DbErr> {
    Entity::find().order_by_asc(Column::Name).all(db).await
}

/// Deletes the integration row.
pub(crate) async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}

/// Records a sync's outcome, and the account and registry the provider
/// reported (which a successful sync may have learned).
pub(crate) async fn record_sync(
    db: &impl ConnectionTrait,
    id: &str,
    outcome: &SyncOutcome,
    learned: Option<(&str, &str)>,
) -> Result<(), DbErr> {
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let mut row = ActiveModel {
        id: Set(id.to_owned()),
        sync_started_at: Set(Some(outcome.started_at)),
        sync_finished_at: Set(Some(outcome.finished_at)),
        sync_ok: Set(Some(outcome.error.is_none())),
        sync_error: Set(outcome.error.clone().unwrap_or_default()),
        ..Default::default()
    };
    if outcome.error.is_none() {
        row.sync_repositories = Set(count(outcome.repositories));
        row.sync_tags = Set(count(outcome.tags));
        row.sync_discovered = Set(count(outcome.discovered));
        row.sync_removed = Set(count(outcome.removed));
    }
    if let Some((account, registry)) = learned {
        row.account = Set(account.to_owned());
        row.registry = Set(registry.to_owned());
    }
    Entity::update(row).exec(db).await?;
    Ok(())
}

/// The settings map of a stored integration.
pub(crate) fn settings(model: &Model) -> BTreeMap<String, String> {
    serde_json::from_str(&model.settings).unwrap_or_default()
}
