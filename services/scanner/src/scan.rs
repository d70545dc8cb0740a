//! One requested scan, as named steps: skip it if it already finished,
//! refuse it if its target was deleted, pull the image's inventory through
//! the engine, match it against the current advisory database, and record
//! the outcome (completed with its issue diff, or failed with a reason).
//!
//! A failure is classified for the scheduler: a registry outage, refused
//! credentials, a timeout or a missing database are worth retrying; an
//! image that is gone, corrupt or in a format that is not read is not.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tagwarden_engine::advisory::AdvisoryDb;
use tagwarden_engine::engine::ScanError;
use tagwarden_engine::inventory::Inventory;
use tagwarden_engine::matcher::{MatchResult, match_inventory};
use tagwarden_registry::ImageReference;
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use crate::pull::Puller;
use crate::record::{Matched, Ran, Recorded, Recorder, ScanJob};
use crate::store::{scan, target};
use crate::vulndb::Vulndb;

/// Runs scans; shared by the consumer's handlers and the rematch loop.
#[derive(Debug, Clone)]
pub(crate) struct Scanner {
    pub(crate) puller: Puller,
    pub(crate) vulndb: Arc<Vulndb>,
    pub(crate) recorder: Recorder,
    pub(crate) timeout: Duration,
    /// Woken when a scan finished with a database that is no longer the
    /// current one, so the rematch loop brings the target up to date.
    pub(crate) rematch: Arc<Notify>,
}

/// Why a scan produced no findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// In words an operator understands.
    pub(crate) error: String,
    /// Whether trying again later can help.
    pub(crate) retryable: bool,
}

impl Scanner {
    /// Runs one requested scan to a recorded outcome. `Err` only when the
    /// outcome could not be recorded; the request is then redelivered.
    pub(crate) async fn run(&self, job: &ScanJob) -> anyhow::Result<()> {
        let db = self.recorder.db();
        if scan::get(db, &job.scan_id).await?.is_some() {
            debug!(scan_id = %job.scan_id, "scan already recorded; nothing to do");
            return Ok(());
        }
        let started = self.recorder.now();
        // Bound first: a future kept alive across the next await (as a
        // match scrutinee's temporaries are) would make this one not Send.
        let deleted = target::get(db, &job.target_id)
            .await?
            .is_some_and(|t| t.deleted);
        let outcome = match deleted {
            true => Err(Failure {
                error: format!("target {} was deleted; its scans stopped", job.target_id),
                retryable: false,
            }),
            false => self.inventory_and_match(job).await,
        };
        let ran = Ran {
            started,
            finished: self.recorder.now(),
        };
        match outcome {
            Ok((inventory, result)) => self.completed(job, ran, &inventory, &result).await,
            Err(failure) => self.failed(job, ran, &failure).await,
        }
    }

    async fn inventory_and_match(
        &self,
        job: &ScanJob,
    ) -> Result<(Inventory, MatchResult), Failure> {
        let image = reference(job)?;
        let advisories = self.advisories()?;
        let scanned = self.puller.inventory(image, self.timeout).await?;
        let result = match_blocking(advisories, scanned.clone()).await?;
        Ok((scanned, result))
    }

    /// The current database; a scan without one fails, retryable.
    pub(crate) fn advisories(&self) -> Result<Arc<AdvisoryDb>, Failure> {
        match self.vulndb.current() {
            Ok(Some(db)) => Ok(db),
            Ok(None) => Err(Failure {
                error: "no advisory database has been imported yet".to_owned(),
                retryable: true,
            }),
            Err(e) => Err(Failure {
                error: format!("the advisory database cannot be read: {e}"),
                retryable: true,
            }),
        }
    }

    async fn completed(
        &self,
        job: &ScanJob,
        ran: Ran,
        inventory: &Inventory,
        result: &MatchResult,
    ) -> anyhow::Result<()> {
        let matched = Matched {
            result,
            inventory: Some(inventory),
            rematch_of: None,
        };
        let Recorded::Written(summary) = self.recorder.completed(job, ran, matched).await? else {
            debug!(scan_id = %job.scan_id, "scan recorded by another delivery");
            return Ok(());
        };
        let counts = summary.counts;
        info!(
            scan_id = %job.scan_id,
            target_id = %job.target_id,
            digest = %job.digest,
            packages = inventory.packages.len(),
            critical = counts.critical,
            high = counts.high,
            medium = counts.medium,
            low = counts.low,
            unknown = counts.unknown,
            new_issues = summary.opened,
            fixed_issues = summary.fixed,
            reopened_issues = summary.reopened,
            database_version = %result.database,
            "scan completed"
        );
        if self.is_outdated(result) {
            self.rematch.notify_one();
        }
        Ok(())
    }

    async fn failed(&self, job: &ScanJob, ran: Ran, failure: &Failure) -> anyhow::Result<()> {
        let recorded = self
            .recorder
            .failed(job, ran, &failure.error, failure.retryable)
            .await?;
        if recorded != Recorded::Duplicate {
            warn!(
                scan_id = %job.scan_id,
                target_id = %job.target_id,
                digest = %job.digest,
                error = %failure.error,
                retryable = failure.retryable,
                "scan failed"
            );
        }
        Ok(())
    }

    /// Whether a newer database was put in place while the scan ran.
    fn is_outdated(&self, result: &MatchResult) -> bool {
        matches!(self.vulndb.current(), Ok(Some(db)) if db.status().version != result.database)
    }
}

/// Matches on a blocking thread: it is CPU and file work.
pub(crate) async fn match_blocking(
    db: Arc<AdvisoryDb>,
    inventory: Inventory,
) -> Result<MatchResult, Failure> {
    tokio::task::spawn_blocking(move || match_inventory(&db, &inventory))
        .await
        .context("the matching task failed")
        .and_then(|result| result.context("matching failed"))
        .map_err(|e| Failure {
            error: format!("{e:#}"),
            retryable: true,
        })
}

/// The image by digest: what the request names is what is scanned, even
/// if its tag has moved since.
fn reference(job: &ScanJob) -> Result<ImageReference, Failure> {
    let text = format!(
        "{}/{}@{}",
        job.image.registry, job.image.repository, job.digest
    );
    text.parse().map_err(|e| Failure {
        error: format!("the request names no valid image: {e}"),
        retryable: false,
    })
}

/// Whether trying again can help, per engine error kind.
pub(crate) fn classify(error: &ScanError) -> Failure {
    let retryable = matches!(
        error,
        ScanError::Unavailable { .. } | ScanError::Unauthorized { .. } | ScanError::Io { .. }
    );
    Failure {
        error: error.to_string(),
        retryable,
    }
}

#[cfg(test)]
mod tests {
    use tagwarden_bus::events::{ImageLocation, ScanReason};

    use super::*;

    fn job(registry: &str, digest: &str) -> ScanJob {
        ScanJob {
            scan_id: "s".into(),
            target_id: "t".into(),
            image: ImageLocation {
                registry: registry.into(),
                repository: "team/app".into(),
                ..ImageLocation::default()
            },
            tag: "v1".into(),
            digest: digest.into(),
            reason: ScanReason::DigestChanged,
            attempt: 1,
        }
    }

    #[test]
    fn the_image_is_named_by_digest() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let image = reference(&job("127.0.0.1:5000", &digest)).unwrap();
        assert_eq!(
            image.to_string(),
            format!("127.0.0.1:5000/team/app@{digest}")
        );
        let bad = reference(&job("127.0.0.1:5000", "latest")).unwrap_err();
        assert!(!bad.retryable);
    }

    #[test]
    fn outages_are_retried_and_broken_images_are_not() {
        let image = "127.0.0.1:5000/team/app".to_owned();
        let outage = ScanError::Unavailable {
            image: image.clone(),
            detail: "503".into(),
        };
        let broken = ScanError::Schema1 { image };
        assert!(classify(&outage).retryable);
        assert!(!classify(&broken).retryable);
        assert!(classify(&broken).error.contains("schema 1"));
    }
}
