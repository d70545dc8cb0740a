//! Scans the scheduler did not request: after a database import the
//! scanner matches each live target's stored inventory again and reports
//! it as a scan of its own, under an id it made up. Each joins the history
//! as one finished row with reason "database updated"; a repeat delivery
//! finds the row there and writes nothing.

use std::time::SystemTime;

use anyhow::Context as _;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait};
use tagwarden_bus::events::{ScanCompleted, ScanFailed};

use super::{ActiveModel, Column, Entity, Model, Status, times};
use crate::ScanReason;
use crate::codes::reason_to_code;
use crate::store::StoredTarget;

/// Adds a completed re-match of `target` to history; `false` when a row
/// with its id is there already.
pub(crate) async fn record_rematch_completed(
    db: &impl ConnectionTrait,
    target: &StoredTarget,
    result: &ScanCompleted,
    now: SystemTime,
) -> anyhow::Result<bool> {
    let counts = result.counts.unwrap_or_default();
    let finished = Finished {
        scan_id: &result.scan_id,
        digest: &result.digest,
        status: Status::Completed,
        times: times(result.started_at, result.finished_at, now),
    };
    let row = Model {
        critical: counts.critical.into(),
        high: counts.high.into(),
        medium: counts.medium.into(),
        low: counts.low.into(),
        unknown: counts.unknown.into(),
        new_issues: result.new_issues.into(),
        fixed_issues: result.fixed_issues.into(),
        reopened_issues: result.reopened_issues.into(),
        database_version: Some(result.database_version.clone()).filter(|v| !v.is_empty()),
        ..finished.row(target)
    };
    insert_once(db, row).await
}

/// Adds a failed re-match of `target` to history; `false` when a row with
/// its id is there already.
pub(crate) async fn record_rematch_failed(
    db: &impl ConnectionTrait,
    target: &StoredTarget,
    result: &ScanFailed,
    now: SystemTime,
) -> anyhow::Result<bool> {
    let finished = Finished {
        scan_id: &result.scan_id,
        digest: &result.digest,
        status: Status::Failed,
        times: times(result.started_at, result.finished_at, now),
    };
    let row = Model {
        error: Some(result.error.clone()),
        ..finished.row(target)
    };
    insert_once(db, row).await
}

/// What every re-match row holds, whatever its outcome.
struct Finished<'a> {
    scan_id: &'a str,
    digest: &'a str,
    status: Status,
    /// Start (if known) and finish, as stored.
    times: (Option<i64>, i64),
}

impl Finished<'_> {
    /// The row without findings. Nothing requested a re-match, so it
    /// counts as requested when the scanner started it: listings order
    /// and filter by request time.
    fn row(&self, target: &StoredTarget) -> Model {
        let (started, finished) = self.times;
        let current = target.state.current.as_ref();
        Model {
            id: self.scan_id.to_owned(),
            target_id: target.id.clone(),
            image: target.image_name(),
            tag: current.map(|c| c.tag.clone()).unwrap_or_default(),
            digest: self.digest.to_owned(),
            reason: reason_to_code(ScanReason::DatabaseUpdated).to_owned(),
            status: self.status.as_str().to_owned(),
            attempt: 1,
            previous_scan_id: None,
            requested_at_ms: started.unwrap_or(finished),
            started_at_ms: started,
            finished_at_ms: Some(finished),
            duration_ms: started.map(|s| (finished - s).max(0)),
            critical: 0,
            high: 0,
            medium: 0,
            low: 0,
            unknown: 0,
            new_issues: 0,
            fixed_issues: 0,
            reopened_issues: 0,
            database_version: None,
            error: None,
        }
    }
}

/// Inserts `row` unless its id is taken; `true` when it was written.
async fn insert_once(db: &impl ConnectionTrait, row: Model) -> anyhow::Result<bool> {
    let scan_id = row.id.clone();
    let written = Entity::insert(ActiveModel::from(row))
        .on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned())
        .exec_without_returning(db)
        .await
        .with_context(|| format!("failed to record re-match {scan_id}"))?;
    Ok(written > 0)
}
