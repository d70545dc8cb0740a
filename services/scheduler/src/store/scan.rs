//! The scan history: one row per attempt, written when it is requested and
//! again when its result (or its timeout) arrives, plus one row per
//! re-match the scanner ran on its own after a database import, written
//! when its result arrives. Rows are never deleted with their target: the
//! history is the audit trail.

mod rematch;

use std::time::SystemTime;

use anyhow::Context as _;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, Condition, QueryOrder, QuerySelect};
use tagwarden_bus::events::{ScanCompleted, ScanFailed};

use super::{StoredTarget, from_millis, to_millis};
use crate::ScanRequest;
use crate::codes::reason_to_code;

pub(crate) use rematch::{record_rematch_completed, record_rematch_failed};

/// The `scan` table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scan")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: String,
    pub(crate) target_id: String,
    pub(crate) image: String,
    pub(crate) tag: String,
    pub(crate) digest: String,
    pub(crate) reason: String,
    pub(crate) status: String,
    pub(crate) attempt: i32,
    pub(crate) previous_scan_id: Option<String>,
    pub(crate) requested_at_ms: i64,
    pub(crate) started_at_ms: Option<i64>,
    pub(crate) finished_at_ms: Option<i64>,
    pub(crate) duration_ms: Option<i64>,
    pub(crate) critical: i64,
    pub(crate) high: i64,
    pub(crate) medium: i64,
    pub(crate) low: i64,
    pub(crate) unknown: i64,
    pub(crate) new_issues: i64,
    pub(crate) fixed_issues: i64,
    pub(crate) reopened_issues: i64,
    pub(crate) database_version: Option<String>,
    pub(crate) error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where an attempt stands, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Requested; no result yet. The scanner sends no "started" event, so
    /// an attempt stays queued until its result arrives.
    Queued,
    /// Started by a scanner. Reserved: nothing reports a start yet.
    Running,
    /// The scanner reported its findings.
    Completed,
    /// The scanner reported a failure, or gave no answer in time.
    Failed,
}

impl Status {
    /// The stored word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// The status a stored word names, if any.
    pub(crate) fn parse(word: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Completed, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == word)
    }
}

/// Adds a queued attempt for a request just decided.
pub(crate) async fn record_request(
    db: &impl ConnectionTrait,
    target: &StoredTarget,
    request: &ScanRequest,
    now: SystemTime,
) -> anyhow::Result<()> {
    let row = ActiveModel {
        id: Set(request.scan_id.as_str().to_owned()),
        target_id: Set(target.id.clone()),
        image: Set(target.image_name()),
        tag: Set(request.resolved.tag.clone()),
        digest: Set(request.resolved.digest.clone()),
        reason: Set(reason_to_code(request.reason).to_owned()),
        status: Set(Status::Queued.as_str().to_owned()),
        attempt: Set(i32::try_from(request.attempt).unwrap_or(i32::MAX)),
        previous_scan_id: Set(request.previous_attempt.as_ref().map(|id| id.to_string())),
        requested_at_ms: Set(to_millis(now)),
        started_at_ms: Set(None),
        finished_at_ms: Set(None),
        duration_ms: Set(None),
        critical: Set(0),
        high: Set(0),
        medium: Set(0),
        low: Set(0),
        unknown: Set(0),
        new_issues: Set(0),
        fixed_issues: Set(0),
        reopened_issues: Set(0),
        database_version: Set(None),
        error: Set(None),
    };
    row.insert(db)
        .await
        .with_context(|| format!("failed to record scan {}", request.scan_id))?;
    Ok(())
}

/// One attempt by id, or `None` if the scheduler never requested it.
pub(crate) async fn get(db: &impl ConnectionTrait, scan_id: &str) -> anyhow::Result<Option<Model>> {
    Entity::find_by_id(scan_id.to_owned())
        .one(db)
        .await
        .with_context(|| format!("failed to load scan {scan_id}"))
}

/// What writing a scanner's result to history did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// The attempt's row now holds the result; the state machine decides
    /// what follows.
    Written,
    /// The row already held a final answer that this result does not
    /// change (a repeat delivery); nothing written. The state machine saw
    /// the result when the row got that answer, so there is nothing left
    /// for it to decide.
    Settled,
    /// The scheduler never requested this scan; nothing written.
    Unknown,
}

/// Writes the findings of a completed attempt. A late completion of an
/// attempt already given up on replaces its timeout: the scan did finish.
pub(crate) async fn record_completed(
    db: &impl ConnectionTrait,
    result: &ScanCompleted,
    now: SystemTime,
) -> anyhow::Result<Recorded> {
    let Some(row) = get(db, &result.scan_id).await? else {
        return Ok(Recorded::Unknown);
    };
    if row.status == Status::Completed.as_str() {
        return Ok(Recorded::Settled);
    }
    let times = times(result.started_at, result.finished_at, now);
    ActiveModel::from(completed(row, result, times))
        .reset_all()
        .update(db)
        .await
        .with_context(|| format!("failed to record the result of scan {}", result.scan_id))?;
    Ok(Recorded::Written)
}

/// Writes a failure the scanner reported. A completed attempt keeps its
/// findings; a failure recorded with the same words is a repeat.
pub(crate) async fn record_failed(
    db: &impl ConnectionTrait,
    result: &ScanFailed,
    now: SystemTime,
) -> anyhow::Result<Recorded> {
    let Some(row) = get(db, &result.scan_id).await? else {
        return Ok(Recorded::Unknown);
    };
    let repeat = row.status == Status::Failed.as_str()
        && row.error.as_deref() == Some(result.error.as_str());
    if repeat || row.status == Status::Completed.as_str() {
        return Ok(Recorded::Settled);
    }
    let (started, finished) = times(result.started_at, result.finished_at, now);
    mark_failed(db, row, &result.error, started, finished).await?;
    Ok(Recorded::Written)
}

/// Marks an attempt still waiting for its answer failed with `error` at
/// `now`: the scanner gave none in time. An attempt that has its answer
/// keeps it, so a scanner's own failure text is not replaced.
pub(crate) async fn record_given_up(
    db: &impl ConnectionTrait,
    scan_id: &str,
    error: &str,
    now: SystemTime,
) -> anyhow::Result<()> {
    let waiting = [Status::Queued.as_str(), Status::Running.as_str()];
    if let Some(row) = get(db, scan_id).await?
        && waiting.contains(&row.status.as_str())
    {
        mark_failed(db, row, error, None, to_millis(now)).await?;
    }
    Ok(())
}

async fn mark_failed(
    db: &impl ConnectionTrait,
    row: Model,
    error: &str,
    started: Option<i64>,
    finished: i64,
) -> anyhow::Result<()> {
    let scan_id = row.id.clone();
    ActiveModel::from(failed(row, error, (started, finished)))
        .reset_all()
        .update(db)
        .await
        .with_context(|| format!("failed to record the failure of scan {scan_id}"))?;
    Ok(())
}

/// `row` finished with the scanner's result: its counts, the database
/// version it used, and `times` (start, if known, and finish).
fn completed(row: Model, result: &ScanCompleted, times: (Option<i64>, i64)) -> Model {
    let (started, finished) = times;
    let counts = result.counts.unwrap_or_default();
    Model {
        status: Status::Completed.as_str().to_owned(),
        started_at_ms: started,
        finished_at_ms: Some(finished),
        duration_ms: started.map(|s| (finished - s).max(0)),
        critical: counts.critical.into(),
        high: counts.high.into(),
        medium: counts.medium.into(),
        low: counts.low.into(),
        unknown: counts.unknown.into(),
        new_issues: result.new_issues.into(),
        fixed_issues: result.fixed_issues.into(),
        reopened_issues: result.reopened_issues.into(),
        database_version: Some(result.database_version.clone()).filter(|v| !v.is_empty()),
        error: None,
        ..row
    }
}

/// `row` failed with `error` at `times`; a start already stored stays when
/// the failure names none.
fn failed(row: Model, error: &str, times: (Option<i64>, i64)) -> Model {
    let (started, finished) = times;
    let started = started.or(row.started_at_ms);
    Model {
        status: Status::Failed.as_str().to_owned(),
        started_at_ms: started,
        finished_at_ms: Some(finished),
        duration_ms: started.map(|s| (finished - s).max(0)),
        error: Some(error.to_owned()),
        ..row
    }
}

/// Start and finish in stored form; a result without a finish time
/// finished when it arrived.
fn times(
    started: Option<prost_types::Timestamp>,
    finished: Option<prost_types::Timestamp>,
    now: SystemTime,
) -> (Option<i64>, i64) {
    let millis = |t: prost_types::Timestamp| SystemTime::try_from(t).ok().map(to_millis);
    let finished = finished.and_then(millis).unwrap_or_else(|| to_millis(now));
    (started.and_then(millis), finished)
}

/// Which attempts a listing shows. Times bound `requested_at`: `since`
/// inclusive, `until` exclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ScanFilter {
    pub(crate) target_id: Option<String>,
    pub(crate) status: Option<Status>,
    pub(crate) since: Option<SystemTime>,
    pub(crate) until: Option<SystemTime>,
}

/// Where a page starts: the last row of the previous page, by request time
/// then id, newest first. Keyset paging stays correct while new scans are
/// added and costs the same on page one and page one thousand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) requested_at_ms: i64,
    pub(crate) id: String,
}

/// One page of attempts and where the next one starts, if there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) scans: Vec<Model>,
    pub(crate) next: Option<Cursor>,
}

/// Attempts matching `filter`, newest first, `size` at most, after `after`.
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    filter: &ScanFilter,
    after: Option<&Cursor>,
    size: u64,
) -> anyhow::Result<Page> {
    let mut query = Entity::find().filter(conditions(filter));
    if let Some(after) = after {
        query = query.filter(
            Condition::any()
                .add(Column::RequestedAtMs.lt(after.requested_at_ms))
                .add(
                    Condition::all()
                        .add(Column::RequestedAtMs.eq(after.requested_at_ms))
                        .add(Column::Id.lt(after.id.clone())),
                ),
        );
    }
    let mut scans = query
        .order_by_desc(Column::RequestedAtMs)
        .order_by_desc(Column::Id)
        .limit(size + 1)
        .all(db)
        .await
        .context("failed to list scans")?;
    let more = scans.len() as u64 > size;
    scans.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    let next = scans.last().filter(|_| more).map(|last| Cursor {
        requested_at_ms: last.requested_at_ms,
        id: last.id.clone(),
    });
    Ok(Page { scans, next })
}

fn conditions(filter: &ScanFilter) -> Condition {
    let mut all = Condition::all();
    if let Some(target_id) = &filter.target_id {
        all = all.add(Column::TargetId.eq(target_id.clone()));
    }
    if let Some(status) = filter.status {
        all = all.add(Column::Status.eq(status.as_str()));
    }
    if let Some(since) = filter.since {
        all = all.add(Column::RequestedAtMs.gte(to_millis(since)));
    }
    if let Some(until) = filter.until {
        all = all.add(Column::RequestedAtMs.lt(to_millis(until)));
    }
    all
}

/// A stored time as a protobuf timestamp.
pub(crate) fn timestamp(millis: i64) -> prost_types::Timestamp {
    from_millis(millis).into()
}
