//! Targets and what each resolves to now. A deleted target keeps its row as
//! a tombstone, so a `targets.created` redelivered after `targets.deleted`
//! cannot bring it back.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::repository::RepositoryKey;
use crate::resolution::Resolution;

/// The entity: one row per target ever seen.
pub(crate) mod target {
    use sea_orm::entity::prelude::*;

    /// A target, its image and rule, and what the rule resolves to.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "targets")]
    pub(crate) struct Model {
        /// The id licensing gave the target.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub integration_id: String,
        pub provider: String,
        pub account: String,
        pub registry: String,
        pub repository: String,
        pub tag_rule: String,
        /// The resolved tag; `None` until a tag matched.
        pub tag: Option<String>,
        pub digest: Option<String>,
        pub pushed_at: Option<DateTimeUtc>,
        /// Bumped on every change of the resolution; a write names the
        /// revision it read, so two writers cannot both announce a change.
        pub revision: i64,
        /// The last time a refresh looked at the target's repository.
        pub checked_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use target::Column;

impl target::Model {
    /// The stored resolution, if the target has one.
    pub(crate) fn resolution(&self) -> Option<Resolution> {
        Some(Resolution {
            tag: self.tag.clone()?,
            digest: self.digest.clone()?,
            pushed_at: self.pushed_at?,
        })
    }

    /// The repository the target watches.
    pub(crate) fn repository_key(&self) -> RepositoryKey {
        RepositoryKey::new(&self.registry, &self.repository)
    }
}

/// Stores a new target. A target already stored, live or deleted, is left
/// as it is: the event was redelivered, or came after its deletion.
/// Returns whether a row was added.
pub(crate) async fn insert(db: &impl ConnectionTrait, row: target::Model) -> Result<bool, DbErr> {
    let keep = OnConflict::column(Column::Id).do_nothing().to_owned();
    let added = target::Entity::insert(target::ActiveModel::from(row))
        .on_conflict(keep)
        .exec_without_returning(db)
        .await?;
    Ok(added > 0)
}

/// Marks a target deleted, storing a tombstone if it was never created
/// here. Returns whether a live target was deleted.
pub(crate) async fn delete(
    db: &impl ConnectionTrait,
    tombstone: target::Model,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let id = tombstone.id.clone();
    let deleted = target::Entity::update_many()
        .col_expr(Column::DeletedAt, Expr::value(Some(at)))
        .filter(Column::Id.eq(id))
        .filter(Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        let mut row = target::ActiveModel::from(tombstone);
        row.deleted_at = Set(Some(at));
        let keep = OnConflict::column(Column::Id).do_nothing().to_owned();
        target::Entity::insert(row)
            .on_conflict(keep)
            .exec_without_returning(db)
            .await?;
    }
    Ok(deleted.rows_affected > 0)
}

/// The live targets of one repository.
pub(crate) async fn live_on(
    db: &impl ConnectionTrait,
    repository: &RepositoryKey,
) -> Result<Vec<target::Model>, DbErr> {
    target::Entity::find()
        .filter(Column::Registry.eq(repository.registry.as_str()))
        .filter(Column::Repository.eq(repository.repository.as_str()))
        .filter(Column::DeletedAt.is_null())
        .all(db)
        .await
}

/// Every repository with at least one live target.
pub(crate) async fn watched_repositories(
    db: &impl ConnectionTrait,
) -> Result<Vec<RepositoryKey>, DbErr> {
    let pairs: Vec<(String, String)> = target::Entity::find()
        .select_only()
        .column(Column::Registry)
        .column(Column::Repository)
        .filter(Column::DeletedAt.is_null())
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(pairs
        .into_iter()
        .map(|(registry, repository)| RepositoryKey::new(&registry, &repository))
        .collect())
}

/// Stores a new resolution if the target is still at `revision` and live.
/// Returns whether it was stored; `false` means another writer got there
/// first (or the target was deleted) and the caller must not announce it.
pub(crate) async fn store_resolution(
    db: &impl ConnectionTrait,
    id: &str,
    revision: i64,
    resolution: &Resolution,
) -> Result<bool, DbErr> {
    let updated = target::Entity::update_many()
        .col_expr(Column::Tag, Expr::value(Some(resolution.tag.clone())))
        .col_expr(Column::Digest, Expr::value(Some(resolution.digest.clone())))
        .col_expr(Column::PushedAt, Expr::value(Some(resolution.pushed_at)))
        .col_expr(Column::Revision, Expr::col(Column::Revision).add(1))
        .filter(Column::Id.eq(id))
        .filter(Column::Revision.eq(revision))
        .filter(Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Records that the live targets of `repository` were looked at.
pub(crate) async fn mark_checked(
    db: &impl ConnectionTrait,
    repository: &RepositoryKey,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    target::Entity::update_many()
        .col_expr(Column::CheckedAt, Expr::value(Some(at)))
        .filter(Column::Registry.eq(repository.registry.as_str()))
        .filter(Column::Repository.eq(repository.repository.as_str()))
        .filter(Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
