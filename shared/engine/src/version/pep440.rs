//! Python package versions (PEP 440), as pip orders them.
//!
//! Parsing and order are the `pep440_rs` crate: epoch, release, then
//! `.devN` < `aN` < `bN` < `rcN` < release < `.postN`, and a local label
//! (`+ubuntu1`) above the same public version. The table in
//! `pep440/tests.rs` is checked against Python's `packaging` on every run.

use std::cmp::Ordering;
use std::str::FromStr;

use super::{VersionError, VersionScheme};

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    raw: String,
    parsed: pep440_rs::Version,
}

impl Pep440Version {
    /// The version as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed version, for callers that need its parts.
    pub fn as_pep440(&self) -> &pep440_rs::Version {
        &self.parsed
    }
}

impl FromStr for Pep440Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let raw = input.trim();
        let parsed = pep440_rs::Version::from_str(raw)
            .map_err(|e| VersionError::invalid(VersionScheme::Pep440, input, e))?;
        Ok(Pep440Version {
            raw: raw.to_owned(),
            parsed,
        })
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parsed.cmp(&other.parsed)
    }
}

ordered_by_cmp!(Pep440Version);

#[cfg(test)]
mod tests;
