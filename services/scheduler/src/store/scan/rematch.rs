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

use super::{ActiveModel, Column, Entity, Model, Status, completed, failed, times};
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
    let times = times(result.started_at, result.finished_at, now);
    let row = rematch_row(target, &result.scan_id, &result.digest, times);
    insert_once(db, completed(row, result, times)).await
}

/// Adds a failed re-match of `target` to history; `false` when a row with
/// its id is there already.
pub(crate) async fn record_rematch_failed(
    db: &impl ConnectionTrait,
    target: &StoredTarget,
    result: &ScanFailed,
    now: SystemTime,
) -> anyhow::Result<bool> {
    let times = times(result.started_at, result.finished_at, now);
    let row = rematch_row(target, &result.scan_id, &result.digest, times);
    insert_once(db, failed(row, &result.error, times)).await
}

/// A re-match's row before its outcome is written in. Nothing requested a
/// re-match, so it counts as requested when the scanner started it:
/// listings order and filter by request time.
fn rematch_row(
    target: &StoredTarget,
    scan_id: &str,
    digest: &str,
    (started, finished): (Option<i64>, i64),
) -> Model {
    let current = target.state.current.as_ref();
    Model {
        id: scan_id.to_owned(),
        target_id: target.id.clone(),
        image: target.image_name(),
        tag: current.map(|c| c.tag.clone()).unwrap_or_default(),
        digest: digest.to_owned(),
        reason: reason_to_code(ScanReason::DatabaseUpdated).to_owned(),
        status: Status::Queued.as_str().to_owned(),
        attempt: 1,
        previous_scan_id: None,
        requested_at_ms: started.unwrap_or(finished),
        started_at_ms: None,
        finished_at_ms: None,
        duration_ms: None,
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
