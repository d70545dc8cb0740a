//! Every scan the scanner finished: completed with its counts and the
//! database version it used, or failed with its reason. A scan id is
//! written once; that is what makes a redelivered request a no-op.

use anyhow::Context as _;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;

/// The `scan` table.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scan")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: String,
    pub(crate) target_id: String,
    pub(crate) registry: String,
    pub(crate) repository: String,
    pub(crate) tag: String,
    pub(crate) digest: String,
    /// `target_created`, `digest_changed`, `daily`, `database_updated`,
    /// `retry`, or `unspecified`.
    pub(crate) reason: String,
    pub(crate) attempt: i32,
    /// `completed` or `failed`.
    pub(crate) status: String,
    pub(crate) started_at_ms: i64,
    pub(crate) finished_at_ms: i64,
    pub(crate) database_version: Option<String>,
    /// The engine's `DatabaseVersion` as JSON, for reports.
    pub(crate) database_detail: Option<String>,
    pub(crate) critical: i64,
    pub(crate) high: i64,
    pub(crate) medium: i64,
    pub(crate) low: i64,
    pub(crate) unknown: i64,
    pub(crate) new_issues: i64,
    pub(crate) fixed_issues: i64,
    pub(crate) reopened_issues: i64,
    pub(crate) packages_checked: i64,
    /// JSON list of the matcher's not-covered packages.
    pub(crate) not_covered: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) retryable: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The stored status of a completed scan.
pub(crate) const COMPLETED: &str = "completed";
/// The stored status of a failed scan.
pub(crate) const FAILED: &str = "failed";

/// The scan, if it finished.
pub(crate) async fn get(db: &impl ConnectionTrait, scan_id: &str) -> anyhow::Result<Option<Model>> {
    Entity::find_by_id(scan_id.to_owned())
        .one(db)
        .await
        .with_context(|| format!("failed to load scan {scan_id}"))
}

/// Writes a finished scan. Returns false, writing nothing, when a scan
/// with this id is already stored.
pub(crate) async fn insert(db: &impl ConnectionTrait, row: Model) -> anyhow::Result<bool> {
    let scan_id = row.id.clone();
    let written = Entity::insert(ActiveModel::from(row))
        .on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned())
        .exec_without_returning(db)
        .await
        .with_context(|| format!("failed to record scan {scan_id}"))?;
    Ok(written > 0)
}
