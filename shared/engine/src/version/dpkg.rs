//! Debian package versions (`[epoch:]upstream[-revision]`), as dpkg orders
//! them.
//!
//! The comparison itself is the `debversion` crate, which the table in
//! `dpkg/tests.rs` checks against `dpkg --compare-versions` on every run. We
//! add the syntax checks that dpkg treats as hard errors and the crate does
//! not (a non-numeric epoch, an empty revision), so a string dpkg would
//! refuse never gets an order here.

use std::cmp::Ordering;
use std::str::FromStr;

use super::{VersionError, VersionScheme};

/// A parsed Debian version.
///
/// Ordered like dpkg: epoch first (missing means 0), then upstream version,
/// then revision (missing means `0`), each compared in alternating runs of
/// non-digits (letters before other characters, `~` before everything,
/// even the end of the string) and digits (numerically).
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    raw: String,
    parsed: debversion::Version,
}

impl DpkgVersion {
    /// The version as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The epoch, 0 when the version has none.
    pub fn epoch(&self) -> u32 {
        self.parsed.epoch.unwrap_or(0)
    }

    /// The upstream part, between the epoch and the last hyphen.
    pub fn upstream(&self) -> &str {
        &self.parsed.upstream_version
    }

    /// The Debian revision after the last hyphen, if there is one.
    pub fn revision(&self) -> Option<&str> {
        self.parsed.debian_revision.as_deref()
    }
}

impl FromStr for DpkgVersion {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let raw = input.trim();
        let invalid = |reason: &str| VersionError::invalid(VersionScheme::Dpkg, input, reason);
        check_syntax(raw).map_err(invalid)?;
        // The strict parser follows Debian policy; dpkg itself only warns
        // about some characters policy forbids (`_` is seen in the wild), so
        // fall back to the crate's lenient parser before giving up.
        let parsed = debversion::Version::from_str(raw)
            .or_else(|_| debversion::Version::parse_lenient(raw))
            .map_err(|e| VersionError::invalid(VersionScheme::Dpkg, input, e))?;
        Ok(DpkgVersion {
            raw: raw.to_owned(),
            parsed,
        })
    }
}

/// The checks dpkg fails hard on that the crate would let through.
fn check_syntax(raw: &str) -> Result<(), &'static str> {
    if raw.is_empty() {
        return Err("empty version");
    }
    if raw.contains(char::is_whitespace) {
        return Err("embedded whitespace");
    }
    let rest = match raw.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err("epoch is not a number");
            }
            rest
        }
        None => raw,
    };
    if rest.is_empty() {
        return Err("nothing after the epoch");
    }
    if rest.ends_with('-') {
        return Err("empty revision");
    }
    if rest.starts_with('-') {
        return Err("empty upstream version");
    }
    Ok(())
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parsed.cmp(&other.parsed)
    }
}

ordered_by_cmp!(DpkgVersion);

#[cfg(test)]
mod tests;
