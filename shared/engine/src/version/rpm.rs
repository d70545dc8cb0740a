//! RPM versions (`[epoch:]version[-release]`), as rpm orders them.
//!
//! Segment comparison is the `rpm-version` crate's `rpmvercmp`, checked by
//! the table in `rpm/tests.rs` against rpm's own `rpm.vercmp` whenever rpm
//! is installed. Splitting the string into epoch, version and release, and
//! comparing the three, is done here the way rpm does it, because the crate
//! differs in three places: it splits at the first hyphen where rpm splits
//! at the last, it takes any text before a colon as an epoch where rpm takes
//! only digits, and it treats a missing release as an empty one, which
//! `rpmvercmp` puts above a `~` release where rpm puts it below.

use std::cmp::Ordering;
use std::str::FromStr;

use rpm_version::Evr;

use super::{VersionError, VersionScheme};

/// A parsed RPM epoch-version-release.
///
/// A missing epoch is 0. A missing release sorts below any release, even
/// `1.0-~1`, as in rpm's own `rpm.vercmp` (so `1.0` < `1.0-1`), which keeps
/// the order total; a matcher that wants "any release of 1.0" must ask for
/// that itself.
#[derive(Debug, Clone)]
pub struct RpmVersion {
    raw: String,
    epoch: String,
    version: String,
    release: Option<String>,
}

impl RpmVersion {
    /// The version as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The epoch digits, empty when the version has none (which means 0).
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The upstream version, between the epoch and the last hyphen.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release after the last hyphen, if there is a hyphen.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

impl FromStr for RpmVersion {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let raw = input.trim();
        let invalid = |reason| VersionError::invalid(VersionScheme::Rpm, input, reason);
        if raw.is_empty() {
            return Err(invalid("empty version"));
        }
        if raw.contains(char::is_whitespace) {
            return Err(invalid("embedded whitespace"));
        }
        let (epoch, rest) = split_epoch(raw);
        let (version, release) = match rest.rsplit_once('-') {
            Some((version, release)) => (version, Some(release.to_owned())),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err(invalid("empty version part"));
        }
        Ok(RpmVersion {
            raw: raw.to_owned(),
            epoch: epoch.to_owned(),
            version: version.to_owned(),
            release,
        })
    }
}

/// Splits off an epoch: only a run of digits (possibly empty, meaning 0)
/// followed by a colon is one; anything else belongs to the version.
fn split_epoch(raw: &str) -> (&str, &str) {
    let digits = raw.bytes().take_while(u8::is_ascii_digit).count();
    match raw[digits..].strip_prefix(':') {
        Some(rest) => (&raw[..digits], rest),
        None => ("", raw),
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(epoch_or_zero(&self.epoch), epoch_or_zero(&other.epoch))
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

/// A missing epoch is epoch 0.
fn epoch_or_zero(epoch: &str) -> &str {
    if epoch.is_empty() { "0" } else { epoch }
}

/// rpm's segment comparison of one field, from the crate: an `Evr` holding
/// only a version compares exactly that version.
fn rpmvercmp(a: &str, b: &str) -> Ordering {
    Evr::new("0", a, "").cmp(&Evr::new("0", b, ""))
}

ordered_by_cmp!(RpmVersion);

#[cfg(test)]
mod tests;
