//! The OSV record format (https://ossf.github.io/osv-schema/), as read from
//! files.
//!
//! These are our own serde types rather than the `osv` crate's: that crate's
//! closed ecosystem enum rejects a whole record when one `affected` entry
//! names an ecosystem it does not know, and the public export grows new
//! ecosystems every few months. Here the ecosystem is a plain string, fields
//! we do not use are ignored, and a `null` where a list belongs reads as an
//! empty list (some exports write that).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One OSV record, as read from a file.
#[derive(Debug, Clone, Deserialize)]
pub struct OsvRecord {
    /// The record's id (`GHSA-…`, `PYSEC-…`, `DSA-4535-1`).
    pub id: String,
    /// When the record last changed; the newest one dates the database.
    pub modified: DateTime<Utc>,
    /// When the record was first published.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// Set when the record was retracted; such records are not imported.
    #[serde(default)]
    pub withdrawn: Option<DateTime<Utc>>,
    /// Ids of the same vulnerability in other databases: they merge.
    #[serde(default, deserialize_with = "nullable")]
    pub aliases: Vec<String>,
    /// Ids of related but distinct vulnerabilities: references only.
    #[serde(default, deserialize_with = "nullable")]
    pub related: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Longer description (Markdown).
    #[serde(default)]
    pub details: Option<String>,
    /// CVSS vectors for the whole record.
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Vec<OsvSeverity>,
    /// The packages and versions affected.
    #[serde(default, deserialize_with = "nullable")]
    pub affected: Vec<OsvAffected>,
    /// Links.
    #[serde(default, deserialize_with = "nullable")]
    pub references: Vec<OsvReference>,
    /// Database-specific data; GHSA puts its severity label here.
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// One affected package of a record.
#[derive(Debug, Clone, Deserialize)]
pub struct OsvAffected {
    /// The package; absent in records that only name git commits.
    #[serde(default)]
    pub package: Option<OsvPackage>,
    /// Version ranges.
    #[serde(default, deserialize_with = "nullable")]
    pub ranges: Vec<OsvRange>,
    /// Explicitly listed affected versions.
    #[serde(default, deserialize_with = "nullable")]
    pub versions: Vec<String>,
    /// CVSS vectors for this package only.
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Vec<OsvSeverity>,
    /// Ecosystem-specific data (Go imports, Ubuntu binaries and priority).
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
    /// Database-specific data.
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// The package an affected entry names.
#[derive(Debug, Clone, Deserialize)]
pub struct OsvPackage {
    /// `PyPI`, `Debian:11`, `Alpine:v3.10`, `Ubuntu:22.04:LTS`, `Go`…
    pub ecosystem: String,
    /// The package name as the ecosystem spells it.
    pub name: String,
    /// Package URL, informational.
    #[serde(default)]
    pub purl: Option<String>,
}

/// One range of affected versions.
#[derive(Debug, Clone, Deserialize)]
pub struct OsvRange {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The repository, for `GIT` ranges.
    #[serde(default)]
    pub repo: Option<String>,
    /// The events, each setting one boundary.
    #[serde(default, deserialize_with = "nullable")]
    pub events: Vec<OsvEvent>,
}

/// One boundary of a range. Exactly one field is set in a valid record;
/// [`OsvEvent::boundary`] checks that.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OsvEvent {
    /// The first affected version (`0` means "since the beginning").
    #[serde(default)]
    pub introduced: Option<String>,
    /// The first version that is no longer affected.
    #[serde(default)]
    pub fixed: Option<String>,
    /// The last affected version (inclusive), when no fix exists.
    #[serde(default)]
    pub last_affected: Option<String>,
    /// An upper bound of the whole range (exclusive).
    #[serde(default)]
    pub limit: Option<String>,
}

/// A boundary kind and its version, once validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary<'a> {
    /// `introduced`
    Introduced(&'a str),
    /// `fixed`
    Fixed(&'a str),
    /// `last_affected`
    LastAffected(&'a str),
    /// `limit`
    Limit(&'a str),
}

impl OsvEvent {
    /// The single boundary this event sets, or `None` when it sets none or
    /// more than one (a malformed event).
    pub fn boundary(&self) -> Option<Boundary<'_>> {
        let set = [
            self.introduced.as_deref().map(Boundary::Introduced),
            self.fixed.as_deref().map(Boundary::Fixed),
            self.last_affected.as_deref().map(Boundary::LastAffected),
            self.limit.as_deref().map(Boundary::Limit),
        ];
        let mut found = set.into_iter().flatten();
        match (found.next(), found.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }
}

/// A severity score: a CVSS vector string, or for `Ubuntu` a priority word.
#[derive(Debug, Clone, Deserialize)]
pub struct OsvSeverity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector or value.
    pub score: String,
}

/// A link.
#[derive(Debug, Clone, Deserialize)]
pub struct OsvReference {
    /// `ADVISORY`, `WEB`, `FIX`…
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The address.
    pub url: String,
}

/// Reads `null` as the type's default (an empty list).
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
