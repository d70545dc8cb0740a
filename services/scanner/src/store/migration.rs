//! The schema. Indexes follow the queries: issues by target and state (the
//! target's issue list), by scan through findings, by vulnerability id and
//! package name (filters); scans by target and time; the rematch pass asks
//! for live targets whose results used another database version.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// The first schema.
pub(super) struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            target_table(),
            scan_table(),
            issue_table(),
            finding_table(),
            inventory_table(),
            database_import_table(),
            outbox_table(),
        ] {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Target::Table.into_iden(),
            Scan::Table.into_iden(),
            Issue::Table.into_iden(),
            Finding::Table.into_iden(),
            Inventory::Table.into_iden(),
            DatabaseImport::Table.into_iden(),
            Outbox::Table.into_iden(),
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
    CurrentScanId,
    DatabaseVersion,
    Deleted,
    UpdatedAtMs,
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
        .col(string_null(Target::CurrentScanId))
        .col(string_null(Target::DatabaseVersion))
        .col(boolean(Target::Deleted))
        .col(big_integer(Target::UpdatedAtMs))
        .to_owned()
}

#[derive(DeriveIden)]
enum Scan {
    Table,
    Id,
    TargetId,
    Registry,
    Repository,
    Tag,
    Digest,
    Reason,
    Attempt,
    Status,
    StartedAtMs,
    FinishedAtMs,
    DatabaseVersion,
    DatabaseDetail,
    Critical,
    High,
    Medium,
    Low,
    Unknown,
    NewIssues,
    FixedIssues,
    ReopenedIssues,
    PackagesChecked,
    NotCovered,
    Error,
    Retryable,
}

fn scan_table() -> TableCreateStatement {
    Table::create()
        .table(Scan::Table)
        .if_not_exists()
        .col(string(Scan::Id).primary_key())
        .col(string(Scan::TargetId))
        .col(string(Scan::Registry))
        .col(string(Scan::Repository))
        .col(string(Scan::Tag))
        .col(string(Scan::Digest))
        .col(string(Scan::Reason))
        .col(integer(Scan::Attempt))
        .col(string(Scan::Status))
        .col(big_integer(Scan::StartedAtMs))
        .col(big_integer(Scan::FinishedAtMs))
        .col(string_null(Scan::DatabaseVersion))
        .col(text_null(Scan::DatabaseDetail))
        .col(big_integer(Scan::Critical))
        .col(big_integer(Scan::High))
        .col(big_integer(Scan::Medium))
        .col(big_integer(Scan::Low))
        .col(big_integer(Scan::Unknown))
        .col(big_integer(Scan::NewIssues))
        .col(big_integer(Scan::FixedIssues))
        .col(big_integer(Scan::ReopenedIssues))
        .col(big_integer(Scan::PackagesChecked))
        .col(text_null(Scan::NotCovered))
        .col(text_null(Scan::Error))
        .col(boolean(Scan::Retryable))
        .to_owned()
}

#[derive(DeriveIden)]
enum Issue {
    Table,
    Id,
    TargetId,
    IdentityKey,
    VulnerabilityId,
    Aliases,
    Severity,
    SeverityRank,
    CvssScore,
    CvssVector,
    PackageName,
    PackageNameLower,
    SourceName,
    InstalledVersion,
    PackageKind,
    Path,
    Layer,
    FixedVersion,
    Remediation,
    Summary,
    State,
    FirstSeenAtMs,
    FirstSeenScanId,
    LastSeenAtMs,
    LastSeenScanId,
    FixedAtMs,
    FixedByScanId,
    ReopenedAtMs,
    ReopenedByScanId,
}

fn issue_table() -> TableCreateStatement {
    Table::create()
        .table(Issue::Table)
        .if_not_exists()
        .col(string(Issue::Id).primary_key())
        .col(string(Issue::TargetId))
        .col(text(Issue::IdentityKey))
        .col(string(Issue::VulnerabilityId))
        .col(text(Issue::Aliases))
        .col(string(Issue::Severity))
        .col(integer(Issue::SeverityRank))
        .col(double_null(Issue::CvssScore))
        .col(string_null(Issue::CvssVector))
        .col(string(Issue::PackageName))
        .col(string(Issue::PackageNameLower))
        .col(string_null(Issue::SourceName))
        .col(string(Issue::InstalledVersion))
        .col(string(Issue::PackageKind))
        .col(text(Issue::Path))
        .col(string_null(Issue::Layer))
        .col(string_null(Issue::FixedVersion))
        .col(text(Issue::Remediation))
        .col(text_null(Issue::Summary))
        .col(string(Issue::State))
        .col(big_integer(Issue::FirstSeenAtMs))
        .col(string(Issue::FirstSeenScanId))
        .col(big_integer(Issue::LastSeenAtMs))
        .col(string(Issue::LastSeenScanId))
        .col(big_integer_null(Issue::FixedAtMs))
        .col(string_null(Issue::FixedByScanId))
        .col(big_integer_null(Issue::ReopenedAtMs))
        .col(string_null(Issue::ReopenedByScanId))
        .to_owned()
}

#[derive(DeriveIden)]
enum Finding {
    Table,
    Id,
    ScanId,
    IssueId,
    Position,
    Detail,
}

fn finding_table() -> TableCreateStatement {
    Table::create()
        .table(Finding::Table)
        .if_not_exists()
        .col(big_pk_auto(Finding::Id))
        .col(string(Finding::ScanId))
        .col(string(Finding::IssueId))
        .col(integer(Finding::Position))
        .col(text(Finding::Detail))
        .to_owned()
}

#[derive(DeriveIden)]
enum Inventory {
    Table,
    Digest,
    Packages,
    Contents,
    UpdatedAtMs,
}

fn inventory_table() -> TableCreateStatement {
    Table::create()
        .table(Inventory::Table)
        .if_not_exists()
        .col(string(Inventory::Digest).primary_key())
        .col(big_integer(Inventory::Packages))
        .col(text(Inventory::Contents))
        .col(big_integer(Inventory::UpdatedAtMs))
        .to_owned()
}

#[derive(DeriveIden)]
enum DatabaseImport {
    Table,
    Id,
    Version,
    PreviousVersion,
    Source,
    Advisories,
    ImportedAtMs,
}

fn database_import_table() -> TableCreateStatement {
    Table::create()
        .table(DatabaseImport::Table)
        .if_not_exists()
        .col(big_pk_auto(DatabaseImport::Id))
        .col(string(DatabaseImport::Version))
        .col(string_null(DatabaseImport::PreviousVersion))
        .col(text(DatabaseImport::Source))
        .col(big_integer(DatabaseImport::Advisories))
        .col(big_integer(DatabaseImport::ImportedAtMs))
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

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    index.to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index(
            "issue_by_target",
            Issue::Table,
            vec![Issue::TargetId.into_iden(), Issue::State.into_iden()],
        ),
        index(
            "issue_by_vulnerability",
            Issue::Table,
            vec![Issue::VulnerabilityId.into_iden()],
        ),
        index(
            "issue_by_package",
            Issue::Table,
            vec![Issue::PackageNameLower.into_iden()],
        ),
        index(
            "issue_listing",
            Issue::Table,
            vec![Issue::SeverityRank.into_iden(), Issue::Id.into_iden()],
        ),
        // Unique: a scan's findings are written once, whatever happens to
        // the request that produced them.
        index(
            "finding_by_scan",
            Finding::Table,
            vec![Finding::ScanId.into_iden(), Finding::Position.into_iden()],
        )
        .unique()
        .to_owned(),
        index(
            "finding_by_issue",
            Finding::Table,
            vec![Finding::IssueId.into_iden()],
        ),
        index(
            "scan_by_target",
            Scan::Table,
            vec![Scan::TargetId.into_iden(), Scan::FinishedAtMs.into_iden()],
        ),
    ]
}
