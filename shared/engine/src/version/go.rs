//! Go versions: module versions and Go toolchain (standard library)
//! versions, on one scale.
//!
//! Module versions are semantic versions with a `v` prefix. Pseudo-versions
//! (`v0.0.0-20210101000000-abcdef123456`, `v1.2.4-0.20210101000000-abc…`,
//! `v1.2.4-pre.0.20210101000000-abc…`) are ordinary SemVer pre-releases and
//! order correctly as such; `+incompatible` is build metadata and ignored.
//! OSV's Go data writes versions without the `v`, so both spellings are
//! accepted, as is the `v1.2` shorthand Go's own tools allow.
//!
//! A binary's build information names its toolchain as `go1.21.3`,
//! `go1.22rc1` or, before Go 1.21, `go1.20` for the first release of a
//! line. Advisories for the standard library use SemVer (`1.21.3`,
//! `1.22.0-rc.1`), so toolchain versions are mapped onto SemVer the same
//! way: `go1.20` is `1.20.0` and `go1.22rc1` is `1.22.0-rc.1`. (Since Go
//! 1.21, `go1.21` alone is a language version, not a release; binaries never
//! report it, so it is read as `1.21.0` too.)

use std::cmp::Ordering;
use std::str::FromStr;

use super::semver::{parse_lenient, precedence};
use super::{VersionError, VersionScheme};

/// A parsed Go module or toolchain version.
#[derive(Debug, Clone)]
pub struct GoVersion {
    raw: String,
    parsed: ::semver::Version,
}

impl GoVersion {
    /// The version as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The version as SemVer (toolchain versions converted), for callers
    /// that need its parts.
    pub fn as_semver(&self) -> &::semver::Version {
        &self.parsed
    }
}

impl FromStr for GoVersion {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let raw = input.trim();
        let invalid = |reason: &str| VersionError::invalid(VersionScheme::Go, input, reason);
        let parsed = if let Some(toolchain) = raw.strip_prefix("go") {
            // `go1.21.3 X:boringcrypto` names experiments after a space.
            let release = toolchain.split_whitespace().next().unwrap_or("");
            parse_toolchain(release).ok_or_else(|| invalid("not a Go toolchain version"))?
        } else {
            let bare = raw.strip_prefix('v').unwrap_or(raw);
            match parse_lenient(bare) {
                Ok(v) => v,
                Err(e) => parse_toolchain(bare).ok_or_else(|| invalid(&e.to_string()))?,
            }
        };
        Ok(GoVersion {
            raw: raw.to_owned(),
            parsed,
        })
    }
}

/// Reads `1`, `1.21`, `1.21.3`, `1.22rc1` or `1.9beta2` as SemVer.
fn parse_toolchain(s: &str) -> Option<::semver::Version> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (numbers, pre) = s.split_at(split);
    let mut parts = numbers.split('.').map(number);
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    if parts.next().is_some() {
        return None;
    }
    let mut version = ::semver::Version::new(major, minor, patch);
    if !pre.is_empty() {
        let kind = pre.trim_end_matches(|c: char| c.is_ascii_digit());
        let n = number(&pre[kind.len()..])?;
        if !matches!(kind, "rc" | "beta") {
            return None;
        }
        version.pre = ::semver::Prerelease::new(&format!("{kind}.{n}")).ok()?;
    }
    Some(version)
}

/// A decimal number without leading zeros, as Go writes them.
fn number(s: &str) -> Option<u64> {
    let canonical = !s.is_empty() && (s == "0" || !s.starts_with('0'));
    if canonical && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        precedence(&self.parsed, &other.parsed)
    }
}

ordered_by_cmp!(GoVersion);

#[cfg(test)]
mod tests;
