//! The schema, one migration per change, applied in order at every start.
//! A released migration is never edited: a change is a new migration.

use sea_orm_migration::prelude::*;

/// Applies the service's migrations in order at every start.
#[derive(Debug)]
pub(crate) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateTables)]
    }
}

/// The first schema: targets, repositories, sightings and the outbox.
#[derive(Debug, DeriveMigrationName)]
struct CreateTables;

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_targets(manager).await?;
        create_repositories(manager).await?;
        create_sightings(manager).await?;
        create_outbox(manager).await
    }
}

#[derive(DeriveIden)]
enum Targets {
    Table,
    Id,
    IntegrationId,
    Provider,
    Account,
    Registry,
    Repository,
    TagRule,
    Tag,
    Digest,
    PushedAt,
    Revision,
    CheckedAt,
    CreatedAt,
    DeletedAt,
}

async fn create_targets(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let table = Table::create()
        .table(Targets::Table)
        .col(
            ColumnDef::new(Targets::Id)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Targets::IntegrationId).string().not_null())
        .col(ColumnDef::new(Targets::Provider).string().not_null())
        .col(ColumnDef::new(Targets::Account).string().not_null())
        .col(ColumnDef::new(Targets::Registry).string().not_null())
        .col(ColumnDef::new(Targets::Repository).string().not_null())
        .col(ColumnDef::new(Targets::TagRule).string().not_null())
        .col(ColumnDef::new(Targets::Tag).string())
        .col(ColumnDef::new(Targets::Digest).string())
        .col(ColumnDef::new(Targets::PushedAt).timestamp_with_time_zone())
        .col(ColumnDef::new(Targets::Revision).big_integer().not_null())
        .col(ColumnDef::new(Targets::CheckedAt).timestamp_with_time_zone())
        .col(
            ColumnDef::new(Targets::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Targets::DeletedAt).timestamp_with_time_zone())
        .to_owned();
    manager.create_table(table).await?;
    // Every refresh reads the live targets of one repository.
    let by_repository = Index::create()
        .name("targets_by_repository")
        .table(Targets::Table)
        .col(Targets::Registry)
        .col(Targets::Repository)
        .to_owned();
    manager.create_index(by_repository).await
}

#[derive(DeriveIden)]
enum Repositories {
    Table,
    Registry,
    Repository,
    Listing,
    ListedAt,
    Discovered,
    DiscoveredMicros,
}

async fn create_repositories(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let table = Table::create()
        .table(Repositories::Table)
        .col(ColumnDef::new(Repositories::Registry).string().not_null())
        .col(ColumnDef::new(Repositories::Repository).string().not_null())
        .col(ColumnDef::new(Repositories::Listing).text())
        .col(ColumnDef::new(Repositories::ListedAt).timestamp_with_time_zone())
        .col(ColumnDef::new(Repositories::Discovered).text())
        .col(ColumnDef::new(Repositories::DiscoveredMicros).big_integer())
        .primary_key(
            Index::create()
                .col(Repositories::Registry)
                .col(Repositories::Repository),
        )
        .to_owned();
    manager.create_table(table).await
}

#[derive(DeriveIden)]
enum Sightings {
    Table,
    Registry,
    Repository,
    Tag,
    Digest,
    FirstSeen,
    Baseline,
    Created,
}

async fn create_sightings(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let table = Table::create()
        .table(Sightings::Table)
        .col(ColumnDef::new(Sightings::Registry).string().not_null())
        .col(ColumnDef::new(Sightings::Repository).string().not_null())
        .col(ColumnDef::new(Sightings::Tag).string().not_null())
        .col(ColumnDef::new(Sightings::Digest).string().not_null())
        .col(
            ColumnDef::new(Sightings::FirstSeen)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Sightings::Baseline).boolean().not_null())
        .col(ColumnDef::new(Sightings::Created).timestamp_with_time_zone())
        .primary_key(
            Index::create()
                .col(Sightings::Registry)
                .col(Sightings::Repository)
                .col(Sightings::Tag),
        )
        .to_owned();
    manager.create_table(table).await
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    EventId,
    Subject,
    Envelope,
    CreatedAt,
    PublishedAt,
}

async fn create_outbox(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let table = Table::create()
        .table(Outbox::Table)
        .col(
            ColumnDef::new(Outbox::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(
            ColumnDef::new(Outbox::EventId)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Outbox::Subject).string().not_null())
        .col(ColumnDef::new(Outbox::Envelope).blob().not_null())
        .col(
            ColumnDef::new(Outbox::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Outbox::PublishedAt).timestamp_with_time_zone())
        .to_owned();
    manager.create_table(table).await?;
    // The relay's query: rows not yet published, oldest first.
    let pending = Index::create()
        .name("outbox_pending")
        .table(Outbox::Table)
        .col(Outbox::PublishedAt)
        .col(Outbox::Id)
        .to_owned();
    manager.create_index(pending).await
}
