//! A scan's report, rebuilt from what the scan stored: its findings as
//! found, the packages it did not cover, the database version, and the
//! inventory of its digest. Rendering is the engine's, so the service's
//! JSON, SARIF and CycloneDX match what `tagwardenctl scan` prints for the
//! same image and database.
//!
//! The inventory is the one stored for the digest, which a later scan of
//! the same digest replaces; a digest names the same bytes, so only a
//! newer engine reading more of them can make it differ.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use tagwarden_engine::matcher::{MatchResult, NotCovered};
use tagwarden_engine::report::{Filter, Format, ScanReport};

use crate::store::{finding, from_millis, inventory, scan};

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    /// No scan with this id finished here.
    #[error("no scan with id {0}")]
    NotFound(String),
    /// The scan failed, so it found nothing.
    #[error("scan {id} failed ({error}); a failed scan has no report")]
    Failed {
        /// The scan.
        id: String,
        /// Why it failed.
        error: String,
    },
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// The report of scan `scan_id` in `format`.
pub(crate) async fn render(
    db: &impl ConnectionTrait,
    scan_id: &str,
    format: Format,
) -> Result<String, ReportError> {
    let row = scan::get(db, scan_id)
        .await?
        .ok_or_else(|| ReportError::NotFound(scan_id.to_owned()))?;
    if row.status != scan::COMPLETED {
        return Err(ReportError::Failed {
            id: row.id,
            error: row.error.unwrap_or_default(),
        });
    }
    let findings = finding::of_scan(db, scan_id).await?;
    let inventory = inventory::load(db, &row.digest).await?.unwrap_or_default();
    let database = row
        .database_detail
        .as_deref()
        .context("a completed scan without its database version")
        .and_then(|json| serde_json::from_str(json).context("unreadable database version"))?;
    let not_covered: Vec<NotCovered> = row
        .not_covered
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .context("unreadable not-covered packages")?
        .unwrap_or_default();
    let result = MatchResult {
        database,
        findings: findings.into_iter().map(|(finding, _)| finding).collect(),
        not_covered,
        packages_checked: usize::try_from(row.packages_checked).unwrap_or(0),
    };
    let tag = if row.tag.is_empty() {
        String::new()
    } else {
        format!(":{}", row.tag)
    };
    let image = format!("{}/{}{tag}@{}", row.registry, row.repository, row.digest);
    let scanned_at = DateTime::<Utc>::from(from_millis(row.finished_at_ms));
    let report = ScanReport::new(&image, scanned_at, &inventory, result, &Filter::default());
    Ok(report.render(format))
}
