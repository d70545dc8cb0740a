//! The inventory: one row per tag, untagged manifest, or placeholder of a
//! repository without tags. Rows carry the integration's name, provider
//! and account, so the discovery table is one query over one table.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr, NullOrdering};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::inventory::{Entry, Inventory};

/// The entity.
pub(crate) mod image {
    use sea_orm::entity::prelude::*;

    /// One image of a repository.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "images")]
    pub(crate) struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub integration_id: String,
        pub integration_name: String,
        pub provider: String,
        pub account: String,
        pub registry: String,
        pub repository: String,
        /// Empty for an untagged manifest.
        pub tag: String,
        /// Empty for a repository without any listed image.
        pub digest: String,
        pub media_type: String,
        pub pushed_at: Option<DateTimeUtc>,
        pub pushed_at_from_config: bool,
        pub untagged: bool,
        /// Whether a target's rule matches the tag.
        pub covered: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use image::{ActiveModel, Column, Entity, Model};

/// Rows inserted per statement (14 columns each stays under every
/// backend's bound-parameter limit).
const INSERT_BATCH: usize = 1000;

/// Where an integration's rows live and what they are labelled with.
#[derive(Debug, Clone)]
pub(crate) struct Labels {
    pub(crate) integration_id: String,
    pub(crate) integration_name: String,
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) registry: String,
}

/// The stored inventory of an integration.
pub(crate) async fn inventory(
    db: &impl ConnectionTrait,
    integration_id: &str,
) -> Result<Inventory, DbErr> {
    let rows = Entity::find()
        .filter(Column::IntegrationId.eq(integration_id))
        .all(db)
        .await?;
    let mut inventory = Inventory::new();
    for row in rows {
        inventory
            .entry(row.repository.clone())
            .or_default()
            .push(Entry {
                tag: (!row.untagged).then_some(row.tag),
                digest: row.digest,
                media_type: row.media_type,
                pushed_at: row.pushed_at,
                pushed_at_from_config: row.pushed_at_from_config,
            });
    }
    for entries in inventory.values_mut() {
        entries.sort();
    }
    Ok(inventory)
}

/// Deletes the rows of `repositories` of an integration.
pub(crate) async fn delete_repositories(
    db: &impl ConnectionTrait,
    integration_id: &str,
    repositories: &[String],
) -> Result<(), DbErr> {
    for batch in repositories.chunks(INSERT_BATCH) {
        Entity::delete_many()
            .filter(Column::IntegrationId.eq(integration_id))
            .filter(Column::Repository.is_in(batch.iter().cloned()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Deletes every row of an integration.
pub(crate) async fn delete_integration(
    db: &impl ConnectionTrait,
    integration_id: &str,
) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::IntegrationId.eq(integration_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Inserts rows for `entries` of `repository`; `covered` says whether a
/// target covers a tag.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    labels: &Labels,
    rows: Vec<(String, Entry, bool)>,
) -> Result<(), DbErr> {
    let mut rows = rows
        .into_iter()
        .map(|(repository, entry, covered)| ActiveModel {
            id: NotSet,
            integration_id: Set(labels.integration_id.clone()),
            integration_name: Set(labels.integration_name.clone()),
            provider: Set(labels.provider.clone()),
            account: Set(labels.account.clone()),
            registry: Set(labels.registry.clone()),
            repository: Set(repository),
            untagged: Set(entry.tag.is_none()),
            tag: Set(entry.tag.unwrap_or_default()),
            digest: Set(entry.digest),
            media_type: Set(entry.media_type),
            pushed_at: Set(entry.pushed_at),
            pushed_at_from_config: Set(entry.pushed_at_from_config),
            covered: Set(covered),
        });
    loop {
        let batch: Vec<ActiveModel> = rows.by_ref().take(INSERT_BATCH).collect();
        if batch.is_empty() {
            return Ok(());
        }
        Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
}

/// The tagged rows of one repository in any integration, for coverage.
pub(crate) async fn tags_of(
    db: &impl ConnectionTrait,
    registry: &str,
    repository: &str,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::Registry.eq(registry))
        .filter(Column::Repository.eq(repository))
        .filter(Column::Untagged.eq(false))
        .all(db)
        .await
}

/// Sets the covered flag of the rows with `ids`.
pub(crate) async fn set_covered(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
    covered: bool,
) -> Result<(), DbErr> {
    for batch in ids.chunks(INSERT_BATCH) {
        Entity::update_many()
            .col_expr(Column::Covered, Expr::value(covered))
            .filter(Column::Id.is_in(batch.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// What the discovery table shows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pub(crate) targets_only: bool,
    /// Lower-cased substring of the repository, the registry or the tag
    /// (repository and registry names are lower-case by the OCI rules).
    pub(crate) search: String,
    pub(crate) integration_id: Option<String>,
    pub(crate) oldest_first: bool,
    pub(crate) offset: u64,
    pub(crate) limit: u64,
}

/// One page of the discovery table: most recently pushed first (or
/// oldest first), rows without a push time last, ties by name and tag.
pub(crate) async fn page(db: &impl ConnectionTrait, query: &Query) -> Result<Vec<Model>, DbErr> {
    let mut condition = Condition::all();
    if query.targets_only {
        condition = condition.add(Column::Covered.eq(true));
    }
    if let Some(id) = &query.integration_id {
        condition = condition.add(Column::IntegrationId.eq(id.as_str()));
    }
    if !query.search.is_empty() {
        let pattern = format!("%{}%", escape_like(&query.search));
        let like = || LikeExpr::new(&pattern).escape('\\');
        condition = condition.add(
            Condition::any()
                .add(Column::Repository.like(like()))
                .add(Column::Registry.like(like()))
                .add(Expr::expr(Func::lower(Expr::col(Column::Tag))).like(like())),
        );
    }
    let order = if query.oldest_first {
        Order::Asc
    } else {
        Order::Desc
    };
    Entity::find()
        .filter(condition)
        .order_by_with_nulls(Column::PushedAt, order, NullOrdering::Last)
        .order_by_asc(Column::Registry)
        .order_by_asc(Column::Repository)
        .order_by_asc(Column::Tag)
        .order_by_asc(Column::Id)
        .offset(query.offset)
        .limit(query.limit)
        .all(db)
        .await
}

/// `text` with LIKE's wildcards escaped by `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"a_b%c\d"), r"a\_b\%c\\d");
    }
}
