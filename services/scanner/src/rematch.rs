//! Matching stored inventories again after a database update, without
//! pulling any image.
//!
//! A pass looks for live targets (see [`store::target`]) whose current
//! findings came from another database version than the newest import,
//! matches the inventory stored for each one's current digest, and
//! records the result as a scan with reason "database updated" through
//! the same diff as any scan. Passes run when this instance imported a
//! database, when `vulndb.updated` arrives, when a scan finished with a
//! database replaced meanwhile, and every `rematch_interval`; every
//! instance may run them, and the target lock plus the version check
//! inside the transaction keep two instances from recording one rematch
//! twice. An instance whose database file is not the newest import does
//! not match at all, so instances with diverging files never flip a
//! target back and forth.

use std::sync::Arc;
use std::time::Duration;

use tagwarden_bus::events::ScanReason;
use tagwarden_engine::advisory::AdvisoryDb;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::record::{Matched, Ran, Recorded, ScanJob};
use crate::scan::{Scanner, match_blocking};
use crate::store::{self, database, target};

/// Targets read per round trip to the store.
const BATCH: u64 = 100;

/// Runs passes until `shutdown`.
pub(crate) async fn run(
    scanner: Scanner,
    wakeup: Arc<Notify>,
    interval: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        match pass(&scanner).await {
            Ok(0) => {}
            Ok(matched) => info!(targets = matched, "stored inventories matched again"),
            Err(err) => warn!(
                error = format!("{err:#}"),
                "matching stored inventories failed"
            ),
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = wakeup.notified() => {}
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// One pass over every stale live target; returns how many got a new
/// result.
async fn pass(scanner: &Scanner) -> anyhow::Result<usize> {
    let db = scanner.recorder.db();
    let Some(latest) = database::latest(db).await? else {
        return Ok(0);
    };
    let Ok(advisories) = scanner.advisories() else {
        return Ok(0);
    };
    let version = advisories.status().version.to_string();
    if version != latest.version {
        warn!(
            local = %version,
            newest = %latest.version,
            "this instance's advisory database is not the newest import; not matching again"
        );
        return Ok(0);
    }
    let mut after: Option<String> = None;
    let mut matched = 0;
    loop {
        let targets = target::stale(db, &version, after.as_deref(), BATCH).await?;
        let Some(last) = targets.last() else {
            return Ok(matched);
        };
        after = Some(last.id.clone());
        for target in targets {
            let target_id = target.id.clone();
            match rematch(scanner, &advisories, target).await {
                Ok(true) => matched += 1,
                Ok(false) => {}
                Err(err) => warn!(
                    target_id,
                    error = format!("{err:#}"),
                    "matching a stored inventory failed"
                ),
            }
        }
    }
}

/// Matches one target's stored inventory; false when there was nothing
/// to record.
async fn rematch(
    scanner: &Scanner,
    advisories: &Arc<AdvisoryDb>,
    target: store::target::Model,
) -> anyhow::Result<bool> {
    let (Some(digest), Some(based_on)) = (
        target.current_digest.clone(),
        target.current_scan_id.clone(),
    ) else {
        return Ok(false);
    };
    let db = scanner.recorder.db();
    let Some(inventory) = store::inventory::load(db, &digest).await? else {
        warn!(target_id = %target.id, %digest, "no stored inventory for the current digest");
        return Ok(false);
    };
    let started = scanner.recorder.now();
    let result = match_blocking(advisories.clone(), inventory)
        .await
        .map_err(|failure| anyhow::anyhow!(failure.error))?;
    let job = ScanJob {
        scan_id: uuid::Uuid::now_v7().to_string(),
        target_id: target.id.clone(),
        image: target.location(),
        tag: target.current_tag.clone().unwrap_or_default(),
        digest,
        reason: ScanReason::DatabaseUpdated,
        attempt: 1,
    };
    let ran = Ran {
        started,
        finished: scanner.recorder.now(),
    };
    let matched = Matched {
        result: &result,
        inventory: None,
        rematch_of: Some(&based_on),
    };
    match scanner.recorder.completed(&job, ran, matched).await? {
        Recorded::Written(summary) => {
            info!(
                scan_id = %job.scan_id,
                target_id = %job.target_id,
                digest = %job.digest,
                new_issues = summary.opened,
                fixed_issues = summary.fixed,
                reopened_issues = summary.reopened,
                database_version = %result.database,
                "database updated: inventory matched again"
            );
            Ok(true)
        }
        Recorded::Duplicate | Recorded::Superseded => {
            debug!(target_id = %job.target_id, "rematch no longer needed");
            Ok(false)
        }
    }
}
