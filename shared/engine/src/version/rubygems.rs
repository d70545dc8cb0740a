//! Ruby gem versions, as `Gem::Version` orders them.
//!
//! No maintained crate implements this, so it follows RubyGems' documented
//! semantics directly:
//! - a version is numbers and letters separated by dots; a hyphen is read
//!   as `.pre.` (so `1.0.0-rc1` is a pre-release of `1.0.0`);
//! - segments split at dots and at every letter/digit boundary
//!   (`1.0rc1` is `1`, `0`, `rc`, `1`);
//! - any letter segment makes the version a pre-release, and a letter
//!   segment sorts below any number, so `1.0.a` < `1.0` < `1.0.1`;
//! - trailing zeros do not count, both before the first letter segment and
//!   at the end (`1.0` == `1`, `1.0.a` == `1.a`);
//! - letter segments compare byte by byte, so `B` < `a`.

use std::cmp::Ordering;
use std::str::FromStr;

use super::{VersionError, VersionScheme};

/// A parsed Ruby gem version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    raw: String,
    segments: Vec<Segment>,
}

impl GemVersion {
    /// The version as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether any segment is letters, which is what RubyGems calls a
    /// pre-release.
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Text(_)))
    }
}

/// One segment; numbers are kept as digits without leading zeros, so any
/// length compares correctly.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(String),
    Text(String),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Number(n) if n.is_empty())
    }
}

impl Ord for Segment {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Segment::Number(a), Segment::Number(b)) => a.len().cmp(&b.len()).then(a.cmp(b)),
            (Segment::Text(a), Segment::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
        }
    }
}

impl PartialOrd for Segment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for GemVersion {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let raw = input.trim();
        check_syntax(raw).map_err(|e| VersionError::invalid(VersionScheme::RubyGems, input, e))?;
        Ok(GemVersion {
            raw: raw.to_owned(),
            segments: canonical(segments(&raw.replace('-', ".pre."))),
        })
    }
}

/// RubyGems' accepted shape: digits, then dot-separated alphanumeric parts,
/// then optionally a hyphen and dot-separated parts that may hold hyphens.
fn check_syntax(raw: &str) -> Result<(), &'static str> {
    let (main, pre) = match raw.split_once('-') {
        Some((main, pre)) => (main, Some(pre)),
        None => (raw, None),
    };
    let mut parts = main.split('.');
    let first = parts.next().unwrap_or("");
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must start with a number");
    }
    if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err("parts must be letters and digits separated by single dots");
    }
    let pre_ok =
        |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if pre.is_some_and(|pre| !pre.split('.').all(pre_ok)) {
        return Err("malformed pre-release part");
    }
    Ok(())
}

/// Splits into runs of digits and runs of letters; anything else separates.
fn segments(version: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = version;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        rest = &rest[start..];
        let digit = rest.as_bytes()[0].is_ascii_digit();
        let len = rest
            .find(|c: char| !c.is_ascii_alphanumeric() || c.is_ascii_digit() != digit)
            .unwrap_or(rest.len());
        let run = &rest[..len];
        out.push(if digit {
            Segment::Number(run.trim_start_matches('0').to_owned())
        } else {
            Segment::Text(run.to_owned())
        });
        rest = &rest[len..];
    }
    out
}

/// Drops trailing zeros from the numeric part before the first letter
/// segment, and from the end.
fn canonical(mut segments: Vec<Segment>) -> Vec<Segment> {
    let first_text = segments
        .iter()
        .position(|s| matches!(s, Segment::Text(_)))
        .unwrap_or(segments.len());
    let mut text = segments.split_off(first_text);
    while segments.last().is_some_and(Segment::is_zero) {
        segments.pop();
    }
    while text.last().is_some_and(Segment::is_zero) {
        text.pop();
    }
    segments.append(&mut text);
    segments
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number(String::new());
        let len = self.segments.len().max(other.segments.len());
        (0..len)
            .map(|i| {
                let a = self.segments.get(i).unwrap_or(&zero);
                let b = other.segments.get(i).unwrap_or(&zero);
                a.cmp(b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

ordered_by_cmp!(GemVersion);

#[cfg(test)]
mod tests;
