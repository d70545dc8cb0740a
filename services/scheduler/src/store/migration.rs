//! The schema. Indexes follow the queries: the timer loop asks for targets
//! by `wake_at_ms` and `daily_due_at_ms`, the Scans page for history by
//! target, status and request time, newest first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// The first schema: targets, scan history, outbox, handled events.
pub(super) struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(target_table()).await?;
        manager.create_table(scan_table()).await?;
        manager.create_table(outbox_table()).await?;
        manager.create_table(handled_event_table()).await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Target::Table.into_iden(),
            Scan::Table.into_iden(),
            Outbox::Table.into_iden(),
            HandledEvent::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Target {
    Table,
    #[sea_orm(iden = "target_id")]
    Id,
    IntegrationId,
    Provider,
    Account,
    Registry,
    Repository,
    CurrentTag,
    CurrentDigest,
    ChangedAtMs,
    Phase,
    ScanId,
    ScanTag,
    ScanDigest,
    ScanReason,
    ScanAttempt,
    WakeAtMs,
    DatabaseUpdated,
    RetryError,
    Deleted,
    LastCompletedAtMs,
    LastFailedAtMs,
    DailyDueAtMs,
}

fn target_table() -> TableCreateStatement {
    Table::create()
        .table(Target::Table)
        .if_not_exists()
        .col(string(Target::Id).primary_key())
        .col(string(Target::IntegrationId))
        .col(string(Target::Provider))
        .col(string(Target::Account))
        .col(string(Target::Registry))
        .col(string(Target::Repository))
        .col(string_null(Target::CurrentTag))
        .col(string_null(Target::CurrentDigest))
        .col(big_integer_null(Target::ChangedAtMs))
        .col(string(Target::Phase))
        .col(string_null(Target::ScanId))
        .col(string_null(Target::ScanTag))
        .col(string_null(Target::ScanDigest))
        .col(string_null(Target::ScanReason))
        .col(integer_null(Target::ScanAttempt))
        .col(big_integer_null(Target::WakeAtMs))
        .col(boolean(Target::DatabaseUpdated))
        .col(text_null(Target::RetryError))
        .col(boolean(Target::Deleted))
        .col(big_integer_null(Target::LastCompletedAtMs))
        .col(big_integer_null(Target::LastFailedAtMs))
        .col(big_integer_null(Target::DailyDueAtMs))
        .to_owned()
}

#[derive(DeriveIden)]
enum Scan {
    Table,
    Id,
    TargetId,
    Image,
    Tag,
    Digest,
    Reason,
    Status,
    Attempt,
    PreviousScanId,
    RequestedAtMs,
    StartedAtMs,
    FinishedAtMs,
    DurationMs,
    Critical,
    High,
    Medium,
    Low,
    Unknown,
    NewIssues,
    FixedIssues,
    ReopenedIssues,
    DatabaseVersion,
    Error,
}

fn scan_table() -> TableCreateStatement {
    Table::create()
        .table(Scan::Table)
        .if_not_exists()
        .col(string(Scan::Id).primary_key())
        .col(string(Scan::TargetId))
        .col(string(Scan::Image))
        .col(string(Scan::Tag))
        .col(string(Scan::Digest))
        .col(string(Scan::Reason))
        .col(string(Scan::Status))
        .col(integer(Scan::Attempt))
        .col(string_null(Scan::PreviousScanId))
        .col(big_integer(Scan::RequestedAtMs))
        .col(big_integer_null(Scan::StartedAtMs))
        .col(big_integer_null(Scan::FinishedAtMs))
        .col(big_integer_null(Scan::DurationMs))
        .col(big_integer(Scan::Critical))
        .col(big_integer(Scan::High))
        .col(big_integer(Scan::Medium))
        .col(big_integer(Scan::Low))
        .col(big_integer(Scan::Unknown))
        .col(big_integer(Scan::NewIssues))
        .col(big_integer(Scan::FixedIssues))
        .col(big_integer(Scan::ReopenedIssues))
        .col(string_null(Scan::DatabaseVersion))
        .col(text_null(Scan::Error))
        .to_owned()
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    EventId,
    Envelope,
    CreatedAtMs,
}

fn outbox_table() -> TableCreateStatement {
    Table::create()
        .table(Outbox::Table)
        .if_not_exists()
        .col(big_pk_auto(Outbox::Id))
        .col(string(Outbox::EventId))
        .col(blob(Outbox::Envelope))
        .col(big_integer(Outbox::CreatedAtMs))
        .to_owned()
}

#[derive(DeriveIden)]
enum HandledEvent {
    Table,
    EventId,
    HandledAtMs,
}

fn handled_event_table() -> TableCreateStatement {
    Table::create()
        .table(HandledEvent::Table)
        .if_not_exists()
        .col(string(HandledEvent::EventId).primary_key())
        .col(big_integer(HandledEvent::HandledAtMs))
        .to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("target_wake_at")
            .table(Target::Table)
            .col(Target::WakeAtMs)
            .to_owned(),
        Index::create()
            .name("target_daily_due_at")
            .table(Target::Table)
            .col(Target::DailyDueAtMs)
            .to_owned(),
        Index::create()
            .name("scan_by_target")
            .table(Scan::Table)
            .col(Scan::TargetId)
            .col(Scan::RequestedAtMs)
            .col(Scan::Id)
            .to_owned(),
        Index::create()
            .name("scan_by_status")
            .table(Scan::Table)
            .col(Scan::Status)
            .col(Scan::RequestedAtMs)
            .col(Scan::Id)
            .to_owned(),
        Index::create()
            .name("scan_by_time")
            .table(Scan::Table)
            .col(Scan::RequestedAtMs)
            .col(Scan::Id)
            .to_owned(),
        Index::create()
            .name("handled_event_at")
            .table(HandledEvent::Table)
            .col(HandledEvent::HandledAtMs)
            .to_owned(),
    ]
}
