//! Scan reports: one [`ScanReport`] rendered as JSON, CycloneDX 1.5,
//! SARIF 2.1.0 or a table for people.
//!
//! A report is the inventory plus the match result plus what was scanned;
//! every format is a pure function of it, so the CLI, the scanner service
//! and the tests produce byte-identical output for the same scan.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::advisory::{DatabaseVersion, Severity};
use crate::inventory::{Inventory, OsRelease, Package};
use crate::matcher::finding::Finding;
use crate::matcher::{MatchResult, NotCovered};

pub mod cyclonedx;
pub mod json;
pub mod purl;
pub mod sarif;
pub mod table;

/// Everything one scan found, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// What was scanned: an image reference, digest or path.
    pub target: String,
    /// When the scan ran.
    pub scanned_at: DateTime<Utc>,
    /// The distribution, when recognised.
    pub os: Option<OsRelease>,
    /// The advisory data used.
    pub database: DatabaseVersion,
    /// Every package of the image (CycloneDX lists them as components).
    pub packages: Vec<Package>,
    /// Findings after the filter.
    pub findings: Vec<Finding>,
    /// Packages that could not be checked.
    pub not_covered: Vec<NotCovered>,
    /// Packages checked against data.
    pub packages_checked: usize,
}

impl ScanReport {
    /// Assembles a report; `filter` decides which findings it shows.
    pub fn new(
        target: &str,
        scanned_at: DateTime<Utc>,
        inventory: &Inventory,
        result: MatchResult,
        filter: &Filter,
    ) -> ScanReport {
        ScanReport {
            target: target.to_owned(),
            scanned_at,
            os: inventory.os.clone(),
            database: result.database,
            packages: inventory.packages.clone(),
            findings: result
                .findings
                .into_iter()
                .filter(|f| filter.keeps(f))
                .collect(),
            not_covered: result.not_covered,
            packages_checked: result.packages_checked,
        }
    }

    /// Findings per severity, highest first, for summaries.
    pub fn counts(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .map(|s| {
                (
                    *s,
                    self.findings.iter().filter(|f| f.severity == *s).count(),
                )
            })
            .collect()
    }

    /// Renders in a format.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => table::render(self),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
            Format::CycloneDx => cyclonedx::render(self),
        }
    }
}

/// Which findings a report keeps (the CLI's `--severity` and
/// `--ignore-unfixed`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Keep only these severities; empty keeps all.
    pub severities: Vec<Severity>,
    /// Drop findings that have no fixed version.
    pub ignore_unfixed: bool,
}

impl Filter {
    /// Whether a finding stays in the report.
    pub fn keeps(&self, finding: &Finding) -> bool {
        let severity_ok = self.severities.is_empty() || self.severities.contains(&finding.severity);
        severity_ok && !(self.ignore_unfixed && finding.fixed_version.is_none())
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// The [`ScanReport`] as JSON.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// CycloneDX 1.5 JSON with components and vulnerabilities.
    CycloneDx,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "table" => Format::Table,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "cyclonedx" => Format::CycloneDx,
            other => {
                return Err(format!(
                    "unknown format {other:?} (table, json, sarif, cyclonedx)"
                ));
            }
        })
    }
}
