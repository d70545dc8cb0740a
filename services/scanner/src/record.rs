//! Writing a scan's outcome: one transaction per scan that records the
//! scan, its findings, the issue changes, the inventory and the event that
//! reports it (outbox). The request is acked only after this commits.
//!
//! The target row is locked first, then the scan id checked: two
//! deliveries of one request (or a scan and a database rematch of one
//! target) are thus written one after the other, and the second sees the
//! first. A failed scan writes the scan and its `scans.failed` and touches
//! no issue.

mod issues;

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tagwarden_bus::events::{ImageLocation, ScanCompleted, ScanFailed, ScanReason, SeverityCounts};
use tagwarden_bus::{Bus, Event};
use tagwarden_engine::inventory::Inventory;
use tagwarden_engine::matcher::MatchResult;
use tokio::sync::{Mutex, Notify};

use crate::clock::Clock;
use crate::store::{self, scan, target};

/// One scan: what was asked for.
#[derive(Debug, Clone)]
pub(crate) struct ScanJob {
    pub(crate) scan_id: String,
    pub(crate) target_id: String,
    pub(crate) image: ImageLocation,
    pub(crate) tag: String,
    pub(crate) digest: String,
    /// The request's reason, or `DatabaseUpdated` for a rematch; stored
    /// with the scan and sent in its result event.
    pub(crate) reason: ScanReason,
    pub(crate) attempt: u32,
}

/// When a scan ran.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ran {
    pub(crate) started: SystemTime,
    pub(crate) finished: SystemTime,
}

/// A finished match, ready to record.
#[derive(Debug)]
pub(crate) struct Matched<'a> {
    pub(crate) result: &'a MatchResult,
    /// The inventory, when it was read from the image (not from the
    /// store) and should be kept for later rematches.
    pub(crate) inventory: Option<&'a Inventory>,
    /// For a rematch: the scan whose inventory was matched again. The
    /// result is dropped if the target moved on since, or already has
    /// results from this database version.
    pub(crate) rematch_of: Option<&'a str>,
}

/// What recording did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// Written, with these counts.
    Written(Summary),
    /// A scan with this id was already recorded (a duplicate delivery);
    /// nothing written.
    Duplicate,
    /// A rematch that no longer applies; nothing written.
    Superseded,
}

/// A completed scan's counts, as `scans.completed` reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) counts: SeverityCounts,
    pub(crate) opened: u32,
    pub(crate) fixed: u32,
    pub(crate) reopened: u32,
}

/// Records scans; shared by the consumers and the rematch loop.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    bus: Bus,
    clock: Arc<dyn Clock>,
    /// One write transaction at a time in this process: SQLite allows one
    /// writer anyway, and a second would fail rather than wait when it
    /// upgrades from reading. Instances sharing PostgreSQL are kept apart
    /// by the target row lock.
    writer: Mutex<()>,
    relay: Arc<Notify>,
}

impl Recorder {
    pub(crate) fn new(db: DatabaseConnection, bus: Bus, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                bus,
                clock,
                writer: Mutex::new(()),
                relay: Arc::new(Notify::new()),
            }),
        }
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// Notified after every commit that queued an event.
    pub(crate) fn relay_wakeup(&self) -> Arc<Notify> {
        self.inner.relay.clone()
    }

    /// Records a completed scan with its issue diff and `scans.completed`.
    pub(crate) async fn completed(
        &self,
        job: &ScanJob,
        ran: Ran,
        matched: Matched<'_>,
    ) -> anyhow::Result<Recorded> {
        let version = matched.result.database.to_string();
        let _writer = self.inner.writer.lock().await;
        let txn = self.begin(job).await?;
        let locked = target::lock(&txn, &job.target_id).await?;
        if scan::get(&txn, &job.scan_id).await?.is_some() {
            return Ok(Recorded::Duplicate);
        }
        if let Some(based_on) = matched.rematch_of
            && (locked.current_scan_id.as_deref() != Some(based_on)
                || locked.database_version.as_deref() == Some(version.as_str()))
        {
            return Ok(Recorded::Superseded);
        }
        let summary = issues::apply(&txn, job, ran, matched.result).await?;
        scan::insert(&txn, completed_row(job, ran, matched.result, &summary)?).await?;
        if let Some(inventory) = matched.inventory {
            store::inventory::save(&txn, &job.digest, inventory, ran.finished).await?;
        }
        let current = target::Current {
            scan_id: &job.scan_id,
            tag: &job.tag,
            digest: &job.digest,
            database_version: &version,
        };
        target::set_current(&txn, locked, current, ran.finished).await?;
        let event = completed_event(job, ran, &version, &summary);
        self.enqueue_and_commit(txn, event).await?;
        Ok(Recorded::Written(summary))
    }

    /// Records a failed scan and `scans.failed`; no issue changes.
    pub(crate) async fn failed(
        &self,
        job: &ScanJob,
        ran: Ran,
        error: &str,
        retryable: bool,
    ) -> anyhow::Result<Recorded> {
        let _writer = self.inner.writer.lock().await;
        let txn = self.begin(job).await?;
        target::lock(&txn, &job.target_id).await?;
        if !scan::insert(&txn, failed_row(job, ran, error, retryable)).await? {
            return Ok(Recorded::Duplicate);
        }
        let event = Event::ScanFailed(ScanFailed {
            scan_id: job.scan_id.clone(),
            target_id: job.target_id.clone(),
            digest: job.digest.clone(),
            error: error.to_owned(),
            retryable,
            started_at: Some(ran.started.into()),
            finished_at: Some(ran.finished.into()),
            reason: job.reason.into(),
        });
        self.enqueue_and_commit(txn, event).await?;
        Ok(Recorded::Written(Summary::default()))
    }

    /// Begins the scan's transaction, adding the target if it is new.
    async fn begin(&self, job: &ScanJob) -> anyhow::Result<DatabaseTransaction> {
        let txn = self
            .inner
            .db
            .begin()
            .await
            .context("failed to begin recording a scan")?;
        target::ensure(&txn, &job.target_id, &job.image, self.now()).await?;
        Ok(txn)
    }

    async fn enqueue_and_commit(
        &self,
        txn: DatabaseTransaction,
        event: Event,
    ) -> anyhow::Result<()> {
        let envelope = self.inner.bus.envelope(event);
        store::outbox::enqueue(&txn, &envelope, self.now()).await?;
        txn.commit().await.context("failed to commit a scan")?;
        self.inner.relay.notify_one();
        Ok(())
    }

    /// Records a database import and its `vulndb.updated`.
    pub(crate) async fn imported(
        &self,
        import: store::database::Import<'_>,
        event: Event,
    ) -> anyhow::Result<()> {
        let _writer = self.inner.writer.lock().await;
        let txn = self
            .inner
            .db
            .begin()
            .await
            .context("failed to begin recording an import")?;
        store::database::record(&txn, import, self.now()).await?;
        self.enqueue_and_commit(txn, event).await
    }
}

fn completed_event(job: &ScanJob, ran: Ran, version: &str, summary: &Summary) -> Event {
    Event::ScanCompleted(ScanCompleted {
        scan_id: job.scan_id.clone(),
        target_id: job.target_id.clone(),
        digest: job.digest.clone(),
        counts: Some(summary.counts),
        new_issues: summary.opened,
        fixed_issues: summary.fixed,
        reopened_issues: summary.reopened,
        database_version: version.to_owned(),
        started_at: Some(ran.started.into()),
        finished_at: Some(ran.finished.into()),
        reason: job.reason.into(),
    })
}

fn base_row(job: &ScanJob, ran: Ran, status: &str) -> scan::Model {
    scan::Model {
        id: job.scan_id.clone(),
        target_id: job.target_id.clone(),
        registry: job.image.registry.clone(),
        repository: job.image.repository.clone(),
        tag: job.tag.clone(),
        digest: job.digest.clone(),
        reason: reason_code(job.reason).to_owned(),
        attempt: i32::try_from(job.attempt).unwrap_or(i32::MAX),
        status: status.to_owned(),
        started_at_ms: store::to_millis(ran.started),
        finished_at_ms: store::to_millis(ran.finished),
        database_version: None,
        database_detail: None,
        critical: 0,
        high: 0,
        medium: 0,
        low: 0,
        unknown: 0,
        new_issues: 0,
        fixed_issues: 0,
        reopened_issues: 0,
        packages_checked: 0,
        not_covered: None,
        error: None,
        retryable: false,
    }
}

fn completed_row(
    job: &ScanJob,
    ran: Ran,
    result: &MatchResult,
    summary: &Summary,
) -> anyhow::Result<scan::Model> {
    let counts = summary.counts;
    let not_covered = serde_json::to_string(&result.not_covered)
        .context("failed to encode not-covered packages")?;
    let database =
        serde_json::to_string(&result.database).context("failed to encode a database version")?;
    Ok(scan::Model {
        database_version: Some(result.database.to_string()),
        database_detail: Some(database),
        critical: counts.critical.into(),
        high: counts.high.into(),
        medium: counts.medium.into(),
        low: counts.low.into(),
        unknown: counts.unknown.into(),
        new_issues: summary.opened.into(),
        fixed_issues: summary.fixed.into(),
        reopened_issues: summary.reopened.into(),
        packages_checked: i64::try_from(result.packages_checked).unwrap_or(i64::MAX),
        not_covered: Some(not_covered),
        ..base_row(job, ran, scan::COMPLETED)
    })
}

fn failed_row(job: &ScanJob, ran: Ran, error: &str, retryable: bool) -> scan::Model {
    scan::Model {
        error: Some(error.to_owned()),
        retryable,
        ..base_row(job, ran, scan::FAILED)
    }
}

/// The word stored for a reason; never change one, rows keep it.
pub(crate) fn reason_code(reason: ScanReason) -> &'static str {
    match reason {
        ScanReason::Unspecified => "unspecified",
        ScanReason::TargetCreated => "target_created",
        ScanReason::DigestChanged => "digest_changed",
        ScanReason::Daily => "daily",
        ScanReason::DatabaseUpdated => "database_updated",
        ScanReason::Retry => "retry",
    }
}
