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

/// The first schema: images, targets, seats, the pool row and the outbox.
#[derive(Debug)]
struct CreateTables;

impl MigrationName for CreateTables {
    /// Recorded in `seaql_migrations`; fixed here rather than derived from
    /// the module path, so moving the code never makes it run again.
    fn name(&self) -> &str {
        "m0001_create_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_images(manager).await?;
        create_targets(manager).await?;
        create_seats(manager).await?;
        create_outbox(manager).await
    }
}

#[derive(DeriveIden)]
enum Images {
    Table,
    Registry,
    Repository,
    IntegrationId,
    Provider,
    Account,
    Tags,
    TagCount,
    RemovedAt,
    ObservedAt,
    EventMicros,
}

async fn create_images(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let table = Table::create()
        .table(Images::Table)
        .col(ColumnDef::new(Images::Registry).string().not_null())
        .col(ColumnDef::new(Images::Repository).string().not_null())
        .col(ColumnDef::new(Images::IntegrationId).string().not_null())
        .col(ColumnDef::new(Images::Provider).string().not_null())
        .col(ColumnDef::new(Images::Account).string().not_null())
        .col(ColumnDef::new(Images::Tags).text().not_null())
        .col(ColumnDef::new(Images::TagCount).integer().not_null())
        .col(ColumnDef::new(Images::RemovedAt).timestamp_with_time_zone())
        .col(
            ColumnDef::new(Images::ObservedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Images::EventMicros).big_integer().not_null())
        .primary_key(
            Index::create()
                .col(Images::Registry)
                .col(Images::Repository),
        )
        .to_owned();
    manager.create_table(table).await?;
    // `AddTargets` may name an image by repository alone.
    let by_repository = Index::create()
        .name("images_by_repository")
        .table(Images::Table)
        .col(Images::Repository)
        .to_owned();
    manager.create_index(by_repository).await
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
    Name,
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
        .col(ColumnDef::new(Targets::Name).string().not_null())
        .col(
            ColumnDef::new(Targets::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Targets::DeletedAt).timestamp_with_time_zone())
        .to_owned();
    manager.create_table(table).await?;
    // One live target per image and rule; deleted ones stay for audit.
    let live = Index::create()
        .name("targets_live_unique")
        .table(Targets::Table)
        .col(Targets::Registry)
        .col(Targets::Repository)
        .col(Targets::TagRule)
        .unique()
        .and_where(Expr::col(Targets::DeletedAt).is_null())
        .to_owned();
    manager.create_index(live).await?;
    let by_repository = Index::create()
        .name("targets_by_repository")
        .table(Targets::Table)
        .col(Targets::Repository)
        .to_owned();
    manager.create_index(by_repository).await
}

#[derive(DeriveIden)]
enum Seats {
    Table,
    Id,
    TargetName,
    TargetId,
    LockedUntil,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SeatPool {
    Table,
    Id,
    Revision,
}

async fn create_seats(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let seats = Table::create()
        .table(Seats::Table)
        .col(ColumnDef::new(Seats::Id).string().not_null().primary_key())
        .col(ColumnDef::new(Seats::TargetName).string().not_null())
        // A target holds one seat, ever: re-adding makes a new target.
        .col(
            ColumnDef::new(Seats::TargetId)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Seats::LockedUntil).timestamp_with_time_zone())
        .col(
            ColumnDef::new(Seats::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned();
    manager.create_table(seats).await?;
    let pool = Table::create()
        .table(SeatPool::Table)
        .col(
            ColumnDef::new(SeatPool::Id)
                .integer()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(SeatPool::Revision).big_integer().not_null())
        .to_owned();
    manager.create_table(pool).await?;
    let row = Query::insert()
        .into_table(SeatPool::Table)
        .columns([SeatPool::Id, SeatPool::Revision])
        .values_panic([1.into(), 0.into()])
        .to_owned();
    manager.exec_stmt(row).await
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
