//! One row per target: its [`TargetState`] spelled out as columns, the
//! image it lives in (for the scan requests), and two derived due times
//! the timer loop finds it by without loading every target.

use std::time::SystemTime;

use anyhow::{Context as _, anyhow};
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseConnection, QueryOrder, QuerySelect, TransactionTrait};
use tagwarden_bus::events::ImageLocation;

use super::{from_millis, to_millis};
use crate::codes::{reason_from_code, reason_to_code};
use crate::{DailyConfig, Phase, ResolvedTag, Scan, ScanId, TargetState, next_daily_at};

/// The `target` table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "target")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) target_id: String,
    pub(crate) integration_id: String,
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) registry: String,
    pub(crate) repository: String,
    pub(crate) current_tag: Option<String>,
    pub(crate) current_digest: Option<String>,
    pub(crate) changed_at_ms: Option<i64>,
    pub(crate) phase: String,
    pub(crate) scan_id: Option<String>,
    pub(crate) scan_tag: Option<String>,
    pub(crate) scan_digest: Option<String>,
    pub(crate) scan_reason: Option<String>,
    pub(crate) scan_attempt: Option<i32>,
    /// The scan's deadline while scanning, the retry time while awaiting
    /// a retry; the timer loop's index.
    pub(crate) wake_at_ms: Option<i64>,
    pub(crate) database_updated: bool,
    pub(crate) retry_error: Option<String>,
    pub(crate) deleted: bool,
    pub(crate) last_completed_at_ms: Option<i64>,
    pub(crate) last_failed_at_ms: Option<i64>,
    /// When the daily rule asks for a scan; set only for live idle targets.
    pub(crate) daily_due_at_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const IDLE: &str = "idle";
const SCANNING: &str = "scanning";
const AWAITING_RETRY: &str = "awaiting_retry";

/// A target as the scheduler keeps it between events.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredTarget {
    pub(crate) id: String,
    /// Where the image lives; copied into every scan request.
    pub(crate) image: ImageLocation,
    pub(crate) state: TargetState,
    /// Event time of the newest digest change applied. A change observed
    /// earlier that arrives later (a redelivery after a failed attempt) is
    /// stale and must not move the target back to an older digest.
    pub(crate) changed_at: Option<SystemTime>,
    stored: bool,
}

impl StoredTarget {
    /// A target the scheduler has not heard of before.
    pub(crate) fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            image: ImageLocation::default(),
            state: TargetState::new(),
            changed_at: None,
            stored: false,
        }
    }

    /// Whether the scheduler has this target in its store, rather than
    /// having just met its id.
    pub(crate) fn is_stored(&self) -> bool {
        self.stored
    }

    /// `registry/repository`, as shown in history.
    pub(crate) fn image_name(&self) -> String {
        match (self.image.registry.as_str(), self.image.repository.as_str()) {
            ("", repository) => repository.to_owned(),
            (registry, repository) => format!("{registry}/{repository}"),
        }
    }

    fn from_model(row: Model) -> anyhow::Result<Self> {
        let id = row.target_id.clone();
        let image = ImageLocation {
            integration_id: row.integration_id.clone(),
            provider: row.provider.clone(),
            account: row.account.clone(),
            registry: row.registry.clone(),
            repository: row.repository.clone(),
        };
        let changed_at = row.changed_at_ms.map(from_millis);
        let state = state_from_model(row).with_context(|| format!("target {id} is corrupt"))?;
        Ok(Self {
            id,
            image,
            state,
            changed_at,
            stored: true,
        })
    }

    fn to_model(&self, daily: &DailyConfig) -> Model {
        let state = &self.state;
        let (phase, scan, wake_at, retry_error, database_updated) = match &state.phase {
            Phase::Idle => (IDLE, None, None, None, false),
            Phase::Scanning {
                scan,
                deadline,
                database_updated,
            } => (
                SCANNING,
                Some(scan),
                Some(*deadline),
                None,
                *database_updated,
            ),
            Phase::AwaitingRetry {
                scan,
                retry_at,
                error,
            } => (
                AWAITING_RETRY,
                Some(scan),
                Some(*retry_at),
                Some(error),
                false,
            ),
        };
        let daily_due_at = (phase == IDLE && !state.deleted && state.current.is_some())
            .then(|| state.daily_anchor())
            .flatten()
            .map(|anchor| next_daily_at(anchor, &self.id, daily));
        Model {
            target_id: self.id.clone(),
            integration_id: self.image.integration_id.clone(),
            provider: self.image.provider.clone(),
            account: self.image.account.clone(),
            registry: self.image.registry.clone(),
            repository: self.image.repository.clone(),
            current_tag: state.current.as_ref().map(|c| c.tag.clone()),
            current_digest: state.current.as_ref().map(|c| c.digest.clone()),
            changed_at_ms: self.changed_at.map(to_millis),
            phase: phase.to_owned(),
            scan_id: scan.map(|s| s.id.as_str().to_owned()),
            scan_tag: scan.map(|s| s.resolved.tag.clone()),
            scan_digest: scan.map(|s| s.resolved.digest.clone()),
            scan_reason: scan.map(|s| reason_to_code(s.reason).to_owned()),
            scan_attempt: scan.map(|s| i32::try_from(s.attempt).unwrap_or(i32::MAX)),
            wake_at_ms: wake_at.map(to_millis),
            database_updated,
            retry_error: retry_error.cloned(),
            deleted: state.deleted,
            last_completed_at_ms: state.last_completed_at.map(to_millis),
            last_failed_at_ms: state.last_failed_at.map(to_millis),
            daily_due_at_ms: daily_due_at.map(to_millis),
        }
    }
}

fn state_from_model(row: Model) -> anyhow::Result<TargetState> {
    let current = match (row.current_tag, row.current_digest) {
        (Some(tag), Some(digest)) => Some(ResolvedTag::new(tag, digest)),
        _ => None,
    };
    let scan = match (row.scan_id, row.scan_tag, row.scan_digest, row.scan_reason) {
        (Some(id), Some(tag), Some(digest), Some(reason)) => Some(Scan {
            id: ScanId::new(id),
            resolved: ResolvedTag::new(tag, digest),
            reason: reason_from_code(&reason)
                .ok_or_else(|| anyhow!("unknown scan reason {reason:?}"))?,
            attempt: u32::try_from(row.scan_attempt.unwrap_or(1)).unwrap_or(1),
        }),
        _ => None,
    };
    let wake_at = row.wake_at_ms.map(from_millis);
    let phase = match (row.phase.as_str(), scan, wake_at) {
        (IDLE, _, _) => Phase::Idle,
        (SCANNING, Some(scan), Some(deadline)) => Phase::Scanning {
            scan,
            deadline,
            database_updated: row.database_updated,
        },
        (AWAITING_RETRY, Some(scan), Some(retry_at)) => Phase::AwaitingRetry {
            scan,
            retry_at,
            error: row.retry_error.unwrap_or_default(),
        },
        (phase, _, _) => return Err(anyhow!("phase {phase:?} without its scan or time")),
    };
    Ok(TargetState {
        current,
        phase,
        deleted: row.deleted,
        last_completed_at: row.last_completed_at_ms.map(from_millis),
        last_failed_at: row.last_failed_at_ms.map(from_millis),
    })
}

/// Loads a target and locks its row until the transaction ends
/// (PostgreSQL; SQLite has one writer at a time anyway).
pub(crate) async fn load_for_update(
    db: &impl ConnectionTrait,
    target_id: &str,
) -> anyhow::Result<Option<StoredTarget>> {
    let row = Entity::find_by_id(target_id.to_owned())
        .lock_exclusive()
        .one(db)
        .await
        .with_context(|| format!("failed to load target {target_id}"))?;
    row.map(StoredTarget::from_model).transpose()
}

/// Inserts or updates the target with its derived due times.
pub(crate) async fn save(
    db: &impl ConnectionTrait,
    target: &mut StoredTarget,
    daily: &DailyConfig,
) -> anyhow::Result<()> {
    // Every column marked set, so an update writes the whole state.
    let row = ActiveModel::from(target.to_model(daily)).reset_all();
    let saved = if target.stored {
        row.update(db).await.map(drop)
    } else {
        row.insert(db).await.map(drop)
    };
    saved.with_context(|| format!("failed to save target {}", target.id))?;
    target.stored = true;
    Ok(())
}

/// Targets with a scan deadline or retry time at or before `now`, oldest
/// first. Uses the `wake_at_ms` index, so a tick costs the same with ten
/// targets or ten thousand.
pub(crate) async fn waking(
    db: &impl ConnectionTrait,
    now: SystemTime,
    limit: u64,
) -> anyhow::Result<Vec<String>> {
    due_ids(db, Column::WakeAtMs, now, limit)
        .await
        .context("failed to find targets whose scan deadline or retry time passed")
}

/// Live idle targets whose daily scan is due at or before `now`, oldest
/// first, by the `daily_due_at_ms` index.
pub(crate) async fn daily_due(
    db: &impl ConnectionTrait,
    now: SystemTime,
    limit: u64,
) -> anyhow::Result<Vec<String>> {
    due_ids(db, Column::DailyDueAtMs, now, limit)
        .await
        .context("failed to find targets due for their daily scan")
}

async fn due_ids(
    db: &impl ConnectionTrait,
    column: Column,
    now: SystemTime,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    due_query(column, now, limit).into_tuple().all(db).await
}

/// Ids of targets whose `column` is at or before `now`: a range scan on
/// that column's index, stopping after `limit` rows.
fn due_query(column: Column, now: SystemTime, limit: u64) -> Select<Entity> {
    Entity::find()
        .select_only()
        .column(Column::TargetId)
        .filter(column.lte(to_millis(now)))
        .order_by_asc(column)
        .limit(limit)
}

/// Recomputes the daily due time of every target that has one, so a
/// changed interval or window applies at once rather than after each
/// target's next scan. Pages by id, one transaction per page; returns how
/// many rows changed.
pub(crate) async fn replan_daily(
    db: &DatabaseConnection,
    daily: &DailyConfig,
) -> anyhow::Result<u64> {
    let mut after = String::new();
    let mut changed = 0;
    loop {
        let rows = Entity::find()
            .filter(Column::DailyDueAtMs.is_not_null())
            .filter(Column::TargetId.gt(after.clone()))
            .order_by_asc(Column::TargetId)
            .limit(500)
            .all(db)
            .await
            .context("failed to read targets to replan")?;
        let Some(last) = rows.last() else {
            return Ok(changed);
        };
        after = last.target_id.clone();
        let txn = db.begin().await.context("failed to begin replanning")?;
        for row in rows {
            let stored = row.daily_due_at_ms;
            let target = StoredTarget::from_model(row)?;
            let planned = target.to_model(daily).daily_due_at_ms;
            if planned != stored {
                set_daily_due(&txn, &target.id, planned).await?;
                changed += 1;
            }
        }
        txn.commit()
            .await
            .context("failed to commit replanned targets")?;
    }
}

async fn set_daily_due(
    db: &impl ConnectionTrait,
    target_id: &str,
    due: Option<i64>,
) -> anyhow::Result<()> {
    Entity::update_many()
        .col_expr(Column::DailyDueAtMs, Expr::value(due))
        .filter(Column::TargetId.eq(target_id))
        .exec(db)
        .await
        .with_context(|| format!("failed to replan target {target_id}"))?;
    Ok(())
}

#[cfg(test)]
mod tests;
