//! Per watched tag: the digest it pointed at and since when the watcher
//! knows it (see `pushed.rs` for what that time is worth).

use std::collections::BTreeMap;

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::pushed::{Observation, Sighting};
use crate::repository::RepositoryKey;

/// The entity: one row per watched tag.
pub(crate) mod sighting {
    use sea_orm::entity::prelude::*;

    /// One tag's digest and when it was first seen there.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sightings")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub registry: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub repository: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag: String,
        pub digest: String,
        pub first_seen: DateTimeUtc,
        pub baseline: bool,
        pub created: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use sighting::Column;

/// The stored sightings of a repository, by tag.
pub(crate) async fn of(
    db: &impl ConnectionTrait,
    key: &RepositoryKey,
) -> Result<BTreeMap<String, Sighting>, DbErr> {
    let rows = sighting::Entity::find()
        .filter(Column::Registry.eq(key.registry.as_str()))
        .filter(Column::Repository.eq(key.repository.as_str()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let seen = Sighting {
                digest: row.digest,
                first_seen: row.first_seen,
                baseline: row.baseline,
                created: row.created,
            };
            (row.tag, seen)
        })
        .collect())
}

/// Rows per statement, well under SQLite's limit on bound parameters.
const CHUNK: usize = 500;

/// Writes the sightings of the `changed` tags and deletes those of the
/// `dropped` ones.
pub(crate) async fn write(
    db: &impl ConnectionTrait,
    key: &RepositoryKey,
    observation: &Observation,
) -> Result<(), DbErr> {
    let dropped: Vec<&str> = observation.dropped.iter().map(String::as_str).collect();
    for tags in dropped.chunks(CHUNK) {
        sighting::Entity::delete_many()
            .filter(Column::Registry.eq(key.registry.as_str()))
            .filter(Column::Repository.eq(key.repository.as_str()))
            .filter(Column::Tag.is_in(tags.iter().copied()))
            .exec(db)
            .await?;
    }
    let rows: Vec<_> = observation
        .changed
        .iter()
        .filter_map(|tag| Some((tag, observation.sightings.get(tag)?)))
        .map(|(tag, seen)| row(key, tag, seen))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let upsert = OnConflict::columns([Column::Registry, Column::Repository, Column::Tag])
            .update_columns([
                Column::Digest,
                Column::FirstSeen,
                Column::Baseline,
                Column::Created,
            ])
            .to_owned();
        sighting::Entity::insert_many(chunk.iter().cloned())
            .on_conflict(upsert)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn row(key: &RepositoryKey, tag: &str, seen: &Sighting) -> sighting::ActiveModel {
    sighting::ActiveModel {
        registry: Set(key.registry.clone()),
        repository: Set(key.repository.clone()),
        tag: Set(tag.to_owned()),
        digest: Set(seen.digest.clone()),
        first_seen: Set(seen.first_seen),
        baseline: Set(seen.baseline),
        created: Set(seen.created),
    }
}
