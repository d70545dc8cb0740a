//! The two things the database stores: per (ecosystem, package), the
//! affected entries that say which versions a record covers; per record id,
//! the [`Advisory`] a finding shows.
//!
//! Both are built from an [`OsvRecord`] at import and stored compactly
//! (postcard), so a lookup decodes only what matching needs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::osv::{Boundary, OsvRecord};
use super::severity::{Rating, rate_advisory};

/// How to read a range's versions. `GIT` ranges name commits, which an
/// image's packages do not carry, so they are dropped at import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    /// The ecosystem's own version order.
    Ecosystem,
    /// Semantic Versioning (Go and crates.io records).
    Semver,
}

/// One boundary of a range.
///
/// The string type is a parameter so the matcher can decode stored entries
/// borrowing from the database page (`RangeEvent<&str>`) instead of
/// allocating every version string of every PyPI `versions` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeEvent<S = String> {
    /// Affected from this version on (`0`: from the beginning).
    Introduced(S),
    /// Not affected from this version on.
    Fixed(S),
    /// Affected up to and including this version.
    LastAffected(S),
    /// Nothing at or above this version is affected by the range.
    Limit(S),
}

impl<S: AsRef<str>> RangeEvent<S> {
    /// The same event borrowing its version.
    pub fn as_deref(&self) -> RangeEvent<&str> {
        match self {
            RangeEvent::Introduced(v) => RangeEvent::Introduced(v.as_ref()),
            RangeEvent::Fixed(v) => RangeEvent::Fixed(v.as_ref()),
            RangeEvent::LastAffected(v) => RangeEvent::LastAffected(v.as_ref()),
            RangeEvent::Limit(v) => RangeEvent::Limit(v.as_ref()),
        }
    }
}

/// A range of affected versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange<S = String> {
    /// How versions compare.
    pub kind: RangeKind,
    /// Boundaries, in record order.
    pub events: Vec<RangeEvent<S>>,
}

/// What one record says about one package.
///
/// `V` is the type of the listed versions. The matcher decodes them as
/// bytes (`&[u8]`, the same encoding as a string): it only compares them
/// with the installed version, and checking every version of a long PyPI
/// list for valid UTF-8 on every lookup cost more than the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedEntry<S = String, V = S> {
    /// The record's id; its [`Advisory`] is stored under it.
    pub record: S,
    /// The ecosystem exactly as the record wrote it (`Ubuntu:22.04:LTS`).
    pub ecosystem: S,
    /// The package name exactly as the record wrote it.
    pub name: S,
    /// Version ranges (`ECOSYSTEM` and `SEMVER` only).
    pub ranges: Vec<AffectedRange<S>>,
    /// Explicitly listed affected versions.
    pub versions: Vec<V>,
}

/// A CVSS vector (or other score) as the record gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityVector {
    /// `CVSS_V3`, `CVSS_V4`…
    pub kind: String,
    /// The vector string.
    pub score: String,
}

/// What a finding shows about one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The record's id.
    pub id: String,
    /// The same vulnerability elsewhere (merge).
    pub aliases: Vec<String>,
    /// Related vulnerabilities (references only).
    pub related: Vec<String>,
    /// One-line summary, or the first line of the details.
    pub summary: Option<String>,
    /// RFC 3339 time of the last change.
    pub modified: String,
    /// RFC 3339 publication time.
    pub published: Option<String>,
    /// CVSS vectors, record-level first, then per-package ones.
    pub severity: Vec<SeverityVector>,
    /// The record's own severity word where it has one: GHSA's
    /// `database_specific.severity` (`MODERATE`), Ubuntu's priority, or the
    /// `Important:` prefix of a Red Hat-family summary.
    pub own_severity: Option<String>,
    /// The rating computed from `severity` and `own_severity` at import,
    /// so matching never parses a CVSS vector.
    pub rating: Option<Rating>,
    /// Reference URLs.
    pub references: Vec<String>,
}

impl Advisory {
    /// The finding-facing part of a record.
    pub fn from_record(record: &OsvRecord) -> Advisory {
        let mut severity: Vec<SeverityVector> = record
            .severity
            .iter()
            .chain(record.affected.iter().flat_map(|a| &a.severity))
            .map(|s| SeverityVector {
                kind: s.kind.clone(),
                score: s.score.clone(),
            })
            .collect();
        severity.dedup();
        let summary = record
            .summary
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| first_line(record.details.as_deref()));
        let mut advisory = Advisory {
            id: record.id.clone(),
            aliases: record.aliases.clone(),
            related: record.related.clone(),
            summary,
            modified: record.modified.to_rfc3339(),
            published: record.published.map(|p| p.to_rfc3339()),
            severity,
            own_severity: own_severity(record),
            rating: None,
            references: record.references.iter().map(|r| r.url.clone()).collect(),
        };
        advisory.rating = rate_advisory(&advisory);
        advisory
    }
}

/// The affected entries of a record that can be matched: one per
/// `affected` item with a package, keeping `ECOSYSTEM` and `SEMVER` ranges.
/// Events were validated by the loader, so none is dropped here silently.
pub fn entries_of(record: &OsvRecord) -> Vec<AffectedEntry> {
    let mut entries = Vec::new();
    for affected in &record.affected {
        let Some(package) = &affected.package else {
            continue;
        };
        let ranges: Vec<AffectedRange> = affected
            .ranges
            .iter()
            .filter_map(|range| {
                let kind = match range.kind.as_str() {
                    "ECOSYSTEM" => RangeKind::Ecosystem,
                    "SEMVER" => RangeKind::Semver,
                    _ => return None,
                };
                let events = range
                    .events
                    .iter()
                    .filter_map(|e| e.boundary())
                    .map(|b| match b {
                        Boundary::Introduced(v) => RangeEvent::Introduced(v.to_owned()),
                        Boundary::Fixed(v) => RangeEvent::Fixed(v.to_owned()),
                        Boundary::LastAffected(v) => RangeEvent::LastAffected(v.to_owned()),
                        Boundary::Limit(v) => RangeEvent::Limit(v.to_owned()),
                    })
                    .collect();
                Some(AffectedRange { kind, events })
            })
            .collect();
        if ranges.is_empty() && affected.versions.is_empty() {
            continue;
        }
        entries.push(AffectedEntry {
            record: record.id.clone(),
            ecosystem: package.ecosystem.clone(),
            name: package.name.clone(),
            ranges,
            versions: affected.versions.clone(),
        });
    }
    entries
}

fn first_line(details: Option<&str>) -> Option<String> {
    let line = details?.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().take(200).collect())
}

/// The record's own severity word, from the places real feeds put one.
fn own_severity(record: &OsvRecord) -> Option<String> {
    let text = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if let Some(s) = text(record.database_specific.as_ref(), "severity") {
        return Some(s);
    }
    for affected in &record.affected {
        let specific = affected.ecosystem_specific.as_ref();
        if let Some(s) = text(specific, "severity").or_else(|| text(specific, "ubuntu_priority")) {
            return Some(s);
        }
    }
    // AlmaLinux, like Red Hat, starts the summary with the rating.
    let summary = record.summary.as_deref()?;
    let (word, _) = summary.split_once(':')?;
    matches!(word, "Critical" | "Important" | "Moderate" | "Low").then(|| word.to_owned())
}
