//! The images discovery has seen: a projection of its `ImageDiscovered` and
//! `ImageRemoved` events, so adding a target needs no call to discovery.
//!
//! Each event is a whole snapshot of one repository (every tag it has now),
//! so the projection stores the snapshot whole, tags as JSON, and replaces
//! it in one statement that refuses a snapshot older than the stored one.
//! Redelivered and reordered events therefore leave the newest snapshot.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use sea_orm::{QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::request::ImageName;

/// The entity: one row per registry and repository.
pub(crate) mod image {
    use sea_orm::entity::prelude::*;

    /// An image as last seen by discovery.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "images")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub registry: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub repository: String,
        pub integration_id: String,
        pub provider: String,
        pub account: String,
        /// The tags as a JSON list of [`super::StoredTag`].
        #[sea_orm(column_type = "Text")]
        pub tags: String,
        pub tag_count: i32,
        /// Set once discovery reports the repository gone.
        pub removed_at: Option<DateTimeUtc>,
        /// When discovery made the observation (the event's time).
        pub observed_at: DateTimeUtc,
        /// `observed_at` in microseconds, compared in SQL to refuse older
        /// snapshots; an integer orders the same on every backend.
        pub event_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One tag of a stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredTag {
    pub(crate) tag: String,
    pub(crate) digest: String,
    pub(crate) pushed_at: Option<DateTime<Utc>>,
}

/// What one discovery event says about one repository.
#[derive(Debug, Clone)]
pub(crate) struct Sighting {
    pub(crate) registry: String,
    pub(crate) repository: String,
    pub(crate) integration_id: String,
    pub(crate) provider: String,
    pub(crate) account: String,
    /// Every tag it has now; empty when removed.
    pub(crate) tags: Vec<StoredTag>,
    pub(crate) removed: bool,
    pub(crate) observed_at: DateTime<Utc>,
}

/// Stores a sighting unless a newer one is stored already. Returns whether
/// it was stored.
pub(crate) async fn record(db: &impl ConnectionTrait, sighting: Sighting) -> Result<bool, DbErr> {
    use image::Column;
    let tags = serde_json::to_string(&sighting.tags)
        .map_err(|e| DbErr::Custom(format!("cannot encode tags: {e}")))?;
    let row = image::ActiveModel {
        registry: Set(sighting.registry),
        repository: Set(sighting.repository),
        integration_id: Set(sighting.integration_id),
        provider: Set(sighting.provider),
        account: Set(sighting.account),
        tags: Set(tags),
        tag_count: Set(i32::try_from(sighting.tags.len()).unwrap_or(i32::MAX)),
        removed_at: Set(sighting.removed.then_some(sighting.observed_at)),
        observed_at: Set(sighting.observed_at),
        event_micros: Set(sighting.observed_at.timestamp_micros()),
    };
    let newer = Expr::col((image::Entity, Column::EventMicros))
        .lte(Expr::col((Alias::new("excluded"), Column::EventMicros)));
    let upsert = OnConflict::columns([Column::Registry, Column::Repository])
        .update_columns([
            Column::IntegrationId,
            Column::Provider,
            Column::Account,
            Column::Tags,
            Column::TagCount,
            Column::RemovedAt,
            Column::ObservedAt,
            Column::EventMicros,
        ])
        .action_and_where(newer)
        .to_owned();
    let stored = image::Entity::insert(row)
        .on_conflict(upsert)
        .exec_without_returning(db)
        .await?;
    Ok(stored > 0)
}

/// Every stored image `name` could mean (see [`super::image_named`]).
/// Removed images are included, so a caller can say the image is gone.
pub(crate) async fn candidates(
    db: &impl ConnectionTrait,
    name: &ImageName,
) -> Result<Vec<image::Model>, DbErr> {
    use image::Column;
    image::Entity::find()
        .filter(super::image_named(
            name,
            Column::Registry,
            Column::Repository,
        ))
        .order_by_asc(Column::Registry)
        .all(db)
        .await
}

/// The image a name means, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found(image::Model),
    /// Nothing of that name was ever seen.
    Unknown,
    /// It was seen, and later reported gone.
    Removed(DateTime<Utc>),
    /// Several registries hold a repository of that name.
    Ambiguous(Vec<String>),
}

/// Picks among [`candidates`]: a full `registry/repository` match first,
/// then a repository that only one registry has.
pub(crate) fn pick(name: &ImageName, candidates: Vec<image::Model>) -> Lookup {
    let full = |m: &image::Model| format!("{}/{}", m.registry, m.repository) == name.as_str();
    let (exact, by_repository): (Vec<_>, Vec<_>) = candidates.into_iter().partition(full);
    let chosen = if exact.is_empty() {
        by_repository
    } else {
        exact
    };
    let (live, removed): (Vec<_>, Vec<_>) =
        chosen.into_iter().partition(|m| m.removed_at.is_none());
    match <[image::Model; 1]>::try_from(live) {
        Ok([one]) => Lookup::Found(one),
        Err(live) if live.is_empty() => removed
            .iter()
            .filter_map(|m| m.removed_at)
            .max()
            .map_or(Lookup::Unknown, Lookup::Removed),
        Err(live) => Lookup::Ambiguous(live.into_iter().map(|m| m.registry).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(registry: &str, repository: &str, removed: bool) -> image::Model {
        let at = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc();
        image::Model {
            registry: registry.into(),
            repository: repository.into(),
            integration_id: "int-1".into(),
            provider: "oci".into(),
            account: String::new(),
            tags: "[]".into(),
            tag_count: 0,
            removed_at: removed.then_some(at),
            observed_at: at,
            event_micros: at.timestamp_micros(),
        }
    }

    fn name(text: &str) -> ImageName {
        ImageName::parse(text).unwrap()
    }

    #[test]
    fn full_name_wins_over_a_repository_of_that_name() {
        let found = pick(
            &name("ghcr.io/acme/app"),
            vec![
                model("ghcr.io", "acme/app", false),
                model("quay.io", "ghcr.io/acme/app", false),
            ],
        );
        assert_eq!(found, Lookup::Found(model("ghcr.io", "acme/app", false)));
    }

    #[test]
    fn a_repository_in_one_registry_needs_no_registry() {
        let found = pick(&name("acme/app"), vec![model("ghcr.io", "acme/app", false)]);
        assert_eq!(found, Lookup::Found(model("ghcr.io", "acme/app", false)));
    }

    #[test]
    fn a_repository_in_two_registries_is_ambiguous() {
        let found = pick(
            &name("acme/app"),
            vec![
                model("ghcr.io", "acme/app", false),
                model("quay.io", "acme/app", false),
                model("old.example", "acme/app", true),
            ],
        );
        assert_eq!(
            found,
            Lookup::Ambiguous(vec!["ghcr.io".into(), "quay.io".into()])
        );
    }

    #[test]
    fn removed_and_unknown_images_are_told_apart() {
        let removed = pick(&name("acme/app"), vec![model("ghcr.io", "acme/app", true)]);
        assert!(matches!(removed, Lookup::Removed(_)), "{removed:?}");
        assert_eq!(pick(&name("acme/app"), vec![]), Lookup::Unknown);
    }
}
