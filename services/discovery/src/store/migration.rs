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

/// The first schema: integrations, images, targets and the outbox.
#[derive(Debug)]
struct CreateTables;

impl MigrationName for CreateTables {
    /// Fixed rather than derived from the module path, so moving the code
    /// never makes it run again.
    fn name(&self) -> &str {
        "m0001_create_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_integrations(manager).await?;
        create_images(manager).await?;
        create_targets(manager).await?;
        create_outbox(manager).await
    }
}

#[derive(DeriveIden)]
enum Integrations {
    Table,
    Id,
    Name,
    Provider,
    Account,
    Registry,
    Settings,
    CredentialRef,
    CreatedAt,
    SyncStartedAt,
    SyncFinishedAt,
    SyncOk,
    SyncError,
    SyncRepositories,
    SyncTags,
    SyncDiscovered,
    SyncRemoved,
}

async fn create_integrations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Integrations as I;
    let time = |c: I| ColumnDef::new(c).timestamp_with_time_zone().to_owned();
    let table = Table::create()
        .table(I::Table)
        .col(ColumnDef::new(I::Id).string().not_null().primary_key())
        .col(ColumnDef::new(I::Name).string().not_null().unique_key())
        .col(ColumnDef::new(I::Provider).string().not_null())
        .col(ColumnDef::new(I::Account).string().not_null())
        .col(ColumnDef::new(I::Registry).string().not_null())
        .col(ColumnDef::new(I::Settings).text().not_null())
        .col(ColumnDef::new(I::CredentialRef).string().not_null())
        .col(time(I::CreatedAt).not_null())
        .col(time(I::SyncStartedAt))
        .col(time(I::SyncFinishedAt))
        .col(ColumnDef::new(I::SyncOk).boolean())
        .col(ColumnDef::new(I::SyncError).text().not_null())
        .col(ColumnDef::new(I::SyncRepositories).integer().not_null())
        .col(ColumnDef::new(I::SyncTags).integer().not_null())
        .col(ColumnDef::new(I::SyncDiscovered).integer().not_null())
        .col(ColumnDef::new(I::SyncRemoved).integer().not_null())
        .to_owned();
    manager.create_table(table).await
}

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
    IntegrationId,
    IntegrationName,
    Provider,
    Account,
    Registry,
    Repository,
    Tag,
    Digest,
    MediaType,
    PushedAt,
    PushedAtFromConfig,
    Untagged,
    Covered,
}

async fn create_images(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Images as M;
    let text = |c: M| ColumnDef::new(c).string().not_null().to_owned();
    let table = Table::create()
        .table(M::Table)
        .col(
            ColumnDef::new(M::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(text(M::IntegrationId))
        .col(text(M::IntegrationName))
        .col(text(M::Provider))
        .col(text(M::Account))
        .col(text(M::Registry))
        .col(text(M::Repository))
        .col(text(M::Tag))
        .col(text(M::Digest))
        .col(text(M::MediaType))
        .col(ColumnDef::new(M::PushedAt).timestamp_with_time_zone())
        .col(ColumnDef::new(M::PushedAtFromConfig).boolean().not_null())
        .col(ColumnDef::new(M::Untagged).boolean().not_null())
        .col(ColumnDef::new(M::Covered).boolean().not_null())
        .to_owned();
    manager.create_table(table).await?;
    // A sync reads and rewrites one integration's rows, repository by
    // repository; coverage updates find a repository's rows.
    let by_repository = Index::create()
        .name("images_by_repository")
        .table(M::Table)
        .col(M::IntegrationId)
        .col(M::Repository)
        .to_owned();
    manager.create_index(by_repository).await?;
    let by_registry = Index::create()
        .name("images_by_registry")
        .table(M::Table)
        .col(M::Registry)
        .col(M::Repository)
        .to_owned();
    manager.create_index(by_registry).await?;
    // The discovery table is sorted by last push.
    let by_pushed = Index::create()
        .name("images_by_pushed_at")
        .table(M::Table)
        .col(M::PushedAt)
        .to_owned();
    manager.create_index(by_pushed).await
}

#[derive(DeriveIden)]
enum Targets {
    Table,
    TargetId,
    Registry,
    Repository,
    TagRule,
}

async fn create_targets(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let table = Table::create()
        .table(Targets::Table)
        .col(
            ColumnDef::new(Targets::TargetId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Targets::Registry).string().not_null())
        .col(ColumnDef::new(Targets::Repository).string().not_null())
        .col(ColumnDef::new(Targets::TagRule).string().not_null())
        .to_owned();
    manager.create_table(table).await?;
    let by_image = Index::create()
        .name("targets_by_image")
        .table(Targets::Table)
        .col(Targets::Registry)
        .col(Targets::Repository)
        .to_owned();
    manager.create_index(by_image).await
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
