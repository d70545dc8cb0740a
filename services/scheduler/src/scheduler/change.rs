//! What can happen to a target, and what each change writes before the
//! state machine sees it.

use std::time::SystemTime;

use sea_orm::DatabaseTransaction;
use tagwarden_bus::events::{ImageLocation, ScanCompleted, ScanFailed, ScanReason as WireReason};
use tracing::{debug, info, warn};

use crate::store::StoredTarget;
use crate::store::scan::{self, Recorded};
use crate::{ChangeReason, DailyConfig, Input, Phase, ResolvedTag, ScanId, due_for_daily};

/// One change to one target, decoded from an event or raised by a timer.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// `tags.digest_changed`.
    DigestChanged {
        /// Where the image lives; kept for the scan requests.
        image: ImageLocation,
        /// The tag the rule resolves to now and its digest.
        resolved: ResolvedTag,
        /// First resolution or a move.
        reason: ChangeReason,
        /// When the watcher saw it (the event's time).
        observed_at: SystemTime,
    },
    /// `targets.deleted`.
    Deleted,
    /// `scans.completed`.
    Completed(ScanCompleted),
    /// `scans.failed`.
    Failed(ScanFailed),
    /// The timer loop found the target's deadline or retry time passed.
    Timer,
    /// The timer loop found the target due for its daily scan.
    Daily,
}

impl Change {
    /// Writes what the change says on its own (a result goes to history
    /// even when the target no longer waits for it) and returns the input
    /// for the state machine, or `None` when there is nothing to decide.
    pub(super) async fn prepare(
        self,
        txn: &DatabaseTransaction,
        target: &mut StoredTarget,
        now: SystemTime,
        daily: &DailyConfig,
    ) -> anyhow::Result<Option<Input>> {
        Ok(match self {
            Change::DigestChanged {
                image,
                resolved,
                reason,
                observed_at,
            } => digest_changed(target, image, resolved, reason, observed_at),
            Change::Deleted => Some(Input::TargetDeleted),
            Change::Completed(result) => completed(txn, target, &result, now).await?,
            Change::Failed(result) => failed(txn, target, result, now).await?,
            Change::Timer => timer_due(target, now),
            Change::Daily => daily_due(target, now, daily),
        })
    }
}

fn digest_changed(
    target: &mut StoredTarget,
    image: ImageLocation,
    resolved: ResolvedTag,
    reason: ChangeReason,
    observed_at: SystemTime,
) -> Option<Input> {
    if target.changed_at.is_some_and(|newest| newest > observed_at) {
        debug!(target_id = %target.id, digest = %resolved.digest, "older digest change ignored");
        return None;
    }
    target.image = image;
    target.changed_at = Some(observed_at);
    Some(Input::DigestChanged { resolved, reason })
}

async fn completed(
    txn: &DatabaseTransaction,
    target: &StoredTarget,
    result: &ScanCompleted,
    now: SystemTime,
) -> anyhow::Result<Option<Input>> {
    match scan::record_completed(txn, result, now).await? {
        Recorded::Written => {}
        Recorded::Settled => {
            let scan_id = &result.scan_id;
            debug!(scan_id, target_id = %target.id, "scan result already recorded");
            return Ok(None);
        }
        Recorded::Unknown => {
            unrequested_completed(txn, target, result, now).await?;
            return Ok(None);
        }
    }
    log_completed(target, result);
    Ok(Some(Input::ScanCompleted {
        scan_id: ScanId::new(result.scan_id.clone()),
    }))
}

async fn failed(
    txn: &DatabaseTransaction,
    target: &StoredTarget,
    result: ScanFailed,
    now: SystemTime,
) -> anyhow::Result<Option<Input>> {
    match scan::record_failed(txn, &result, now).await? {
        Recorded::Written => {}
        Recorded::Settled => {
            let scan_id = &result.scan_id;
            debug!(scan_id, target_id = %target.id, "scan failure already recorded");
            return Ok(None);
        }
        Recorded::Unknown => {
            unrequested_failed(txn, target, &result, now).await?;
            return Ok(None);
        }
    }
    log_failed(target, &result);
    Ok(Some(Input::ScanFailed {
        scan_id: ScanId::new(result.scan_id),
        error: result.error,
        retryable: result.retryable,
    }))
}

/// A completion the scheduler never requested. The scanner's re-match
/// after a database import goes to history only: it never reaches the
/// state machine, since it read a stored inventory and pulled no image,
/// so it neither stands in for the daily scan nor takes the target's one
/// scan at a time. Any other such result is stray.
async fn unrequested_completed(
    txn: &DatabaseTransaction,
    target: &StoredTarget,
    result: &ScanCompleted,
    now: SystemTime,
) -> anyhow::Result<()> {
    if !is_rematch(target, &result.scan_id, result.reason()) {
        return Ok(());
    }
    if scan::record_rematch_completed(txn, target, result, now).await? {
        log_completed(target, result);
    }
    Ok(())
}

/// A failure the scheduler never requested: like
/// [`unrequested_completed`], a re-match goes to history only.
async fn unrequested_failed(
    txn: &DatabaseTransaction,
    target: &StoredTarget,
    result: &ScanFailed,
    now: SystemTime,
) -> anyhow::Result<()> {
    if !is_rematch(target, &result.scan_id, result.reason()) {
        return Ok(());
    }
    if scan::record_rematch_failed(txn, target, result, now).await? {
        log_failed(target, result);
    }
    Ok(())
}

/// Logs a result written to history; `reason` tells a re-match after a
/// database import from a scan the scheduler requested.
fn log_completed(target: &StoredTarget, result: &ScanCompleted) {
    let counts = result.counts.unwrap_or_default();
    info!(
        scan_id = %result.scan_id,
        target_id = %target.id,
        digest = %result.digest,
        reason = ?result.reason(),
        critical = counts.critical,
        high = counts.high,
        medium = counts.medium,
        low = counts.low,
        unknown = counts.unknown,
        new_issues = result.new_issues,
        fixed_issues = result.fixed_issues,
        database_version = %result.database_version,
        "scan completed"
    );
}

/// Logs a failure written to history, like [`log_completed`].
fn log_failed(target: &StoredTarget, result: &ScanFailed) {
    warn!(
        scan_id = %result.scan_id,
        target_id = %target.id,
        digest = %result.digest,
        reason = ?result.reason(),
        error = %result.error,
        retryable = result.retryable,
        "scan failed"
    );
}

/// Whether an unrequested result is a re-match to keep in history; logs
/// why not otherwise.
fn is_rematch(target: &StoredTarget, scan_id: &str, reason: WireReason) -> bool {
    if reason != WireReason::DatabaseUpdated {
        warn!(%scan_id, target_id = %target.id, "result for a scan never requested");
        return false;
    }
    if !target.is_stored() {
        let target_id = &target.id;
        debug!(scan_id, target_id, "re-match of an unknown target skipped");
        return false;
    }
    true
}

/// The timer input a target is due for at `now`, if any.
fn timer_due(target: &StoredTarget, now: SystemTime) -> Option<Input> {
    match &target.state.phase {
        Phase::Scanning { scan, deadline, .. } if *deadline <= now => Some(Input::ScanTimedOut {
            scan_id: scan.id.clone(),
        }),
        Phase::AwaitingRetry { scan, retry_at, .. } if *retry_at <= now => Some(Input::RetryDue {
            scan_id: scan.id.clone(),
        }),
        _ => None,
    }
}

/// `DailyDue` when the daily rule asks for a scan at `now`; checked again
/// inside the transaction, since an event may have moved the target on
/// since the timer loop looked.
fn daily_due(target: &StoredTarget, now: SystemTime, daily: &DailyConfig) -> Option<Input> {
    let state = &target.state;
    let due = due_for_daily(now, state.daily_anchor(), &target.id, daily);
    (due && state.phase == Phase::Idle && !state.deleted).then_some(Input::DailyDue)
}
