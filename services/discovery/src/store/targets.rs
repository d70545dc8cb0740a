//! The targets licensing announced: which tag rule covers which
//! repository. Only what the covered flag needs is kept.

use std::collections::BTreeMap;

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// The entity: one row per live target.
pub(crate) mod target {
    use sea_orm::entity::prelude::*;

    /// A target: an image and a tag rule.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "targets")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub target_id: String,
        pub registry: String,
        pub repository: String,
        pub tag_rule: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use target::{ActiveModel, Column, Entity, Model};

/// Stores a target; a repeated event changes nothing.
pub(crate) async fn upsert(db: &impl ConnectionTrait, model: Model) -> Result<(), DbErr> {
    let row = ActiveModel {
        target_id: Set(model.target_id),
        registry: Set(model.registry),
        repository: Set(model.repository),
        tag_rule: Set(model.tag_rule),
    };
    Entity::insert(row)
        .on_conflict(OnConflict::column(Column::TargetId).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Removes a target; returns it if it was stored.
pub(crate) async fn remove(
    db: &impl ConnectionTrait,
    target_id: &str,
) -> Result<Option<Model>, DbErr> {
    let found = Entity::find_by_id(target_id.to_owned()).one(db).await?;
    if found.is_some() {
        Entity::delete_by_id(target_id.to_owned()).exec(db).await?;
    }
    Ok(found)
}

/// The rules of every target in `registry`, by repository.
pub(crate) async fn rules_in(
    db: &impl ConnectionTrait,
    registry: &str,
) -> Result<BTreeMap<String, Vec<String>>, DbErr> {
    let rows = Entity::find()
        .filter(Column::Registry.eq(registry))
        .all(db)
        .await?;
    let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        rules.entry(row.repository).or_default().push(row.tag_rule);
    }
    Ok(rules)
}

/// The rules of the targets of one repository.
pub(crate) async fn rules_of(
    db: &impl ConnectionTrait,
    registry: &str,
    repository: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = Entity::find()
        .filter(Column::Registry.eq(registry))
        .filter(Column::Repository.eq(repository))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.tag_rule).collect())
}
