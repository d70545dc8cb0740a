//! What a database holds and which data it was built from.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Which data a database was built from, so a scan result can say which
/// advisories it used and two hosts can tell whether they hold the same.
///
/// The content hash covers every imported record's id and bytes in id
/// order, so the same records give the same version whether they came from
/// a directory, a zip, or a download. The newest `modified` is there for
/// people: it says how fresh the data is at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseVersion {
    /// The newest `modified` time among the imported records.
    pub newest_modified: Option<DateTime<Utc>>,
    /// SHA-256 over the records (hex, full length).
    pub content_hash: String,
}

impl fmt::Display for DatabaseVersion {
    /// `2026-08-21T00:00:00Z+sha256:3f2a9c1b7d4e`: date, then a short hash.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = self.content_hash.get(..12).unwrap_or(&self.content_hash);
        match self.newest_modified {
            Some(t) => write!(
                f,
                "{}+sha256:{short}",
                t.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            None => write!(f, "sha256:{short}"),
        }
    }
}

/// How much one ecosystem (with its release: `Debian:11`) holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcosystemCounts {
    /// Records with at least one entry for this ecosystem.
    pub advisories: usize,
    /// Distinct package names with entries.
    pub packages: usize,
}

/// A database's identity and contents, stored inside it and read on open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseStatus {
    /// The storage layout version; a database of another layout is rebuilt
    /// rather than misread.
    pub format: u32,
    /// Which data it holds.
    pub version: DatabaseVersion,
    /// When the import ran.
    pub imported_at: DateTime<Utc>,
    /// Records imported (withdrawn and malformed ones excluded).
    pub advisories: usize,
    /// Per normalised ecosystem (`Ubuntu:22.04`, not `Ubuntu:22.04:LTS`).
    pub ecosystems: BTreeMap<String, EcosystemCounts>,
    /// Records skipped because they were withdrawn.
    pub skipped_withdrawn: usize,
    /// Records skipped because they were malformed.
    pub skipped_malformed: usize,
}
