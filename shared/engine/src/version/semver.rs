//! Semantic Versioning 2.0, as npm and crates.io use it.
//!
//! Parsing is the `semver` crate, after trimming the decorations real data
//! carries (`v1.2.3`, `=1.2.3`). Order is SemVer precedence: major, minor,
//! patch, then pre-release (a release is above its pre-releases; numeric
//! identifiers compare as numbers and below alphanumeric ones); build
//! metadata is ignored, so `1.0.0+a` equals `1.0.0+b`. (The crate's own
//! `Ord` breaks ties on build metadata, which precedence must not.)

use std::cmp::Ordering;
use std::str::FromStr;

use super::{VersionError, VersionScheme};

/// A parsed semantic version.
#[derive(Debug, Clone)]
pub struct SemverVersion {
    raw: String,
    parsed: ::semver::Version,
}

impl SemverVersion {
    /// The version as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed version, for callers that need its parts.
    pub fn as_semver(&self) -> &::semver::Version {
        &self.parsed
    }
}

impl FromStr for SemverVersion {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let raw = input.trim();
        let parsed = parse_lenient(raw)
            .map_err(|e| VersionError::invalid(VersionScheme::SemVer, input, e))?;
        Ok(SemverVersion {
            raw: raw.to_owned(),
            parsed,
        })
    }
}

/// Parses a semantic version, allowing a leading `=` and `v` as npm does.
pub(crate) fn parse_lenient(raw: &str) -> Result<::semver::Version, ::semver::Error> {
    let bare = raw.trim_start_matches('=').trim_start();
    let bare = bare.strip_prefix('v').unwrap_or(bare);
    ::semver::Version::parse(bare)
}

/// SemVer precedence: everything but build metadata.
pub(crate) fn precedence(a: &::semver::Version, b: &::semver::Version) -> Ordering {
    (a.major, a.minor, a.patch, &a.pre).cmp(&(b.major, b.minor, b.patch, &b.pre))
}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        precedence(&self.parsed, &other.parsed)
    }
}

ordered_by_cmp!(SemverVersion);

#[cfg(test)]
mod tests;
