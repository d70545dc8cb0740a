//! Whether a version lies inside an OSV affected entry, and the fix.
//!
//! The evaluation follows the OSV schema's algorithm: sort a range's events
//! by version, walk them, and let the last boundary at or below the
//! installed version decide (`introduced` opens, `fixed` closes at the
//! version, `last_affected` closes just after it). `limit` caps the whole
//! range. A version listed in `versions` is affected whatever the ranges
//! say; osv.dev answers the same way.

use std::cmp::Ordering;

use crate::advisory::ecosystem::scheme_for;
use crate::advisory::{AffectedEntry, AffectedRange, RangeEvent, RangeKind};
use crate::version::{Version, VersionScheme};

/// An affected entry that matched, with the fix for the installed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The lowest `fixed` above the installed version in the range that
    /// matched; `None` when no fix is released (or the match came from the
    /// `versions` list alone).
    pub fixed: Option<String>,
}

/// Checks one entry. `installed` is the parsed version when the ecosystem's
/// ordering parsed it; `raw` is the string, for the `versions` list.
pub fn check<S: AsRef<str>, V: AsRef<[u8]>>(
    entry: &AffectedEntry<S, V>,
    raw: &str,
    installed: Option<&Version>,
) -> Option<Hit> {
    let mut hit = None;
    if let Some(installed) = installed {
        for range in &entry.ranges {
            let scheme = scheme_for(entry.ecosystem.as_ref(), range.kind == RangeKind::Semver);
            if scheme != Some(installed.scheme()) {
                continue;
            }
            if let Some(fixed) = in_range(range, installed) {
                hit = Some(pick(hit, Hit { fixed }, installed));
            }
        }
    }
    if hit.is_none() && entry.versions.iter().any(|v| v.as_ref() == raw.as_bytes()) {
        hit = Some(Hit { fixed: None });
    }
    hit
}

/// When two ranges of one entry match, keep the one that names a fix (the
/// lower fix, both being above the installed version).
fn pick(old: Option<Hit>, new: Hit, installed: &Version) -> Hit {
    let Some(old) = old else { return new };
    match (&old.fixed, &new.fixed) {
        (None, _) => new,
        (Some(_), None) => old,
        (Some(a), Some(b)) => {
            let scheme = installed.scheme();
            match (scheme.parse(a), scheme.parse(b)) {
                (Ok(a_v), Ok(b_v)) if b_v < a_v => new,
                _ => old,
            }
        }
    }
}

/// A parsed event; `Introduced(None)` is `introduced: 0`, below everything.
enum Bound {
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
}

/// `Some(fix)` when `installed` is inside the range. Events whose version
/// does not parse under the scheme are left out: they are rare data errors,
/// and dropping one boundary is better than dropping the record.
fn in_range<S: AsRef<str>>(
    range: &AffectedRange<S>,
    installed: &Version,
) -> Option<Option<String>> {
    let scheme = installed.scheme();
    let parse = |v: &str| scheme.parse(v).ok();
    let mut bounds: Vec<(Bound, &str)> = Vec::with_capacity(range.events.len());
    for event in &range.events {
        match event.as_deref() {
            RangeEvent::Introduced("0") => bounds.push((Bound::Introduced(None), "0")),
            RangeEvent::Introduced(v) => {
                if let Some(p) = parse(v) {
                    bounds.push((Bound::Introduced(Some(p)), v));
                }
            }
            RangeEvent::Fixed(v) => {
                if let Some(p) = parse(v) {
                    bounds.push((Bound::Fixed(p), v));
                }
            }
            RangeEvent::LastAffected(v) => {
                if let Some(p) = parse(v) {
                    bounds.push((Bound::LastAffected(p), v));
                }
            }
            RangeEvent::Limit(v) => {
                if parse(v).is_some_and(|limit| installed >= &limit) {
                    return None;
                }
            }
        }
    }
    bounds.sort_by(|(a, _), (b, _)| order(a, b));
    let mut affected = false;
    for (bound, _) in &bounds {
        match bound {
            Bound::Introduced(None) => affected = true,
            Bound::Introduced(Some(v)) if installed >= v => affected = true,
            Bound::Fixed(v) if installed >= v => affected = false,
            Bound::LastAffected(v) if installed > v => affected = false,
            _ => {}
        }
    }
    if !affected {
        return None;
    }
    let fix = bounds
        .iter()
        .filter_map(|(bound, raw)| match bound {
            Bound::Fixed(v) if v > installed => Some((v, *raw)),
            _ => None,
        })
        .min_by(|(a, _), (b, _)| a.partial_cmp(b).unwrap_or(Ordering::Equal))
        .map(|(_, raw)| raw.to_owned());
    Some(fix)
}

/// Events by version; `introduced: 0` first; at one version an
/// `introduced` sorts before the closing event, so `introduced: X,
/// fixed: X` is an empty range rather than an open one.
fn order(a: &Bound, b: &Bound) -> Ordering {
    fn key(bound: &Bound) -> (Option<&Version>, u8) {
        match bound {
            Bound::Introduced(v) => (v.as_ref(), 0),
            Bound::Fixed(v) => (Some(v), 1),
            Bound::LastAffected(v) => (Some(v), 1),
        }
    }
    let ((va, ra), (vb, rb)) = (key(a), key(b));
    let by_version = match (va, vb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
    };
    by_version.then(ra.cmp(&rb))
}

/// The module platform tag of a Red Hat-family module build
/// (`module_el8.5.0` in `2.git2d0b8a3.module_el8.5.0+119+9a9ec082`).
///
/// AlmaLinux lists one package once per module platform build, each with its
/// own fix. Without the image's modularity label (which the rpm database
/// keeps but the inventory does not carry), the platform tag is the best
/// evidence of which entry applies: a build of `module_el8.3.0` is judged
/// by the `module_el8.3.0` entry alone, not reported against the newer
/// `module_el8.5.0` build of the same fix. Different streams of one module
/// on the same platform cannot be told apart this way.
pub fn module_tag(version: &str) -> Option<&str> {
    let start = version.find("module_el")?;
    let tag = &version[start..];
    Some(tag.split('+').next().unwrap_or(tag))
}

/// Whether an entry's boundaries mention a module tag.
pub fn mentions<S: AsRef<str>, V>(entry: &AffectedEntry<S, V>, tag: &str) -> bool {
    entry
        .ranges
        .iter()
        .flat_map(|r| &r.events)
        .any(|e| match e.as_deref() {
            RangeEvent::Introduced(v)
            | RangeEvent::Fixed(v)
            | RangeEvent::LastAffected(v)
            | RangeEvent::Limit(v) => v.contains(tag),
        })
}

/// Parses an installed version for an ecosystem, if its ordering is known.
pub fn parse_installed(ecosystem: &str, version: &str) -> Option<Version> {
    let scheme: VersionScheme = scheme_for(ecosystem, false)?;
    scheme.parse(version).ok()
}

#[cfg(test)]
mod tests;
