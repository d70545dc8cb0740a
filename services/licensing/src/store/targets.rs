//! Targets, live and deleted. A deleted target keeps its row: its scans
//! and issues stay for audit elsewhere, and its name finds its locked seat.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::request::ImageName;

/// The entity: one row per target ever added.
pub(crate) mod target {
    use sea_orm::entity::prelude::*;

    /// A target: one image plus one tag rule.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "targets")]
    pub(crate) struct Model {
        /// UUIDv7, so ids sort by creation.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub integration_id: String,
        pub provider: String,
        pub account: String,
        pub registry: String,
        pub repository: String,
        pub tag_rule: String,
        /// `repository:rule`.
        pub name: String,
        pub created_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use target::Column;

/// Live targets of one image among `rules`.
pub(crate) async fn live_with_rules(
    db: &impl ConnectionTrait,
    registry: &str,
    repository: &str,
    rules: &[&str],
) -> Result<Vec<target::Model>, DbErr> {
    target::Entity::find()
        .filter(Column::Registry.eq(registry))
        .filter(Column::Repository.eq(repository))
        .filter(Column::TagRule.is_in(rules.iter().copied()))
        .filter(Column::DeletedAt.is_null())
        .order_by_asc(Column::TagRule)
        .all(db)
        .await
}

/// Stores new targets.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    targets: &[target::Model],
) -> Result<(), DbErr> {
    let rows = targets.iter().cloned().map(target::ActiveModel::from);
    target::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The target with `id`, live or deleted.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<target::Model>, DbErr> {
    target::Entity::find_by_id(id.to_owned()).one(db).await
}

/// Marks a target deleted at `at`.
pub(crate) async fn mark_deleted(
    db: &impl ConnectionTrait,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    target::Entity::update_many()
        .col_expr(Column::DeletedAt, sea_orm::sea_query::Expr::value(Some(at)))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Targets, oldest first: of the image `image` means when given (by
/// `registry/repository` or by repository alone), deleted ones only when
/// asked for.
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    image: Option<&ImageName>,
    include_deleted: bool,
) -> Result<Vec<target::Model>, DbErr> {
    let mut query = target::Entity::find();
    if let Some(name) = image {
        query = query.filter(super::image_named(
            name,
            Column::Registry,
            Column::Repository,
        ));
    }
    if !include_deleted {
        query = query.filter(Column::DeletedAt.is_null());
    }
    query
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await
}
