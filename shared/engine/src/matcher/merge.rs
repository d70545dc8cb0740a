//! Records of one vulnerability become one finding.
//!
//! Two matched records are the same vulnerability when their ids and
//! `aliases` overlap, transitively (a PYSEC record aliasing a CVE and a GHSA
//! record aliasing the same CVE merge, and so does a third record aliasing
//! only the GHSA). `related` ids never merge: a DSA's related CVEs are
//! separate vulnerabilities the DSA happens to fix.

use std::collections::{BTreeSet, HashMap};

use crate::advisory::{Advisory, Rating, RatingSource, Severity};
use crate::inventory::Package;
use crate::version::Version;

use super::finding::{Finding, remediation};
use super::range::Hit;
use super::target::Query;

/// Merges the records that matched one package into findings, sorted by
/// id.
pub fn merge(
    package: &Package,
    query: &Query,
    installed: Option<&Version>,
    matched: &[(Advisory, Hit)],
) -> Vec<Finding> {
    let groups = group(matched);
    let mut findings: Vec<Finding> = groups
        .into_iter()
        .map(|members| {
            let records: Vec<&(Advisory, Hit)> = members.iter().map(|&i| &matched[i]).collect();
            finding(package, query, installed, &records)
        })
        .collect();
    findings.sort_by(|a, b| a.id.cmp(&b.id));
    findings
}

/// Groups indices of records whose id sets overlap (union-find).
fn group(matched: &[(Advisory, Hit)]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..matched.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, (advisory, _)) in matched.iter().enumerate() {
        for id in std::iter::once(&advisory.id).chain(&advisory.aliases) {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..matched.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

fn finding(
    package: &Package,
    query: &Query,
    installed: Option<&Version>,
    records: &[&(Advisory, Hit)],
) -> Finding {
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    let mut related: BTreeSet<&str> = BTreeSet::new();
    let mut references: BTreeSet<&str> = BTreeSet::new();
    let record_ids: BTreeSet<&str> = records.iter().map(|(a, _)| a.id.as_str()).collect();
    for (advisory, _) in records {
        ids.insert(&advisory.id);
        ids.extend(advisory.aliases.iter().map(String::as_str));
        related.extend(advisory.related.iter().map(String::as_str));
        references.extend(advisory.references.iter().map(String::as_str));
    }
    let primary = ids
        .iter()
        .find(|id| id.starts_with("CVE-"))
        .or_else(|| record_ids.iter().next())
        .copied()
        .unwrap_or_default()
        .to_owned();
    let aliases = ids
        .iter()
        .filter(|id| **id != primary)
        .map(|s| s.to_string())
        .collect();
    let related = related
        .into_iter()
        .filter(|id| !ids.contains(id))
        .map(str::to_owned)
        .collect();
    let mut sorted: Vec<&&(Advisory, Hit)> = records.iter().collect();
    sorted.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let summary = sorted.iter().find_map(|(a, _)| a.summary.clone());
    let rating = best_rating(records.iter().filter_map(|(a, _)| a.rating.clone()));
    let fixed = highest_fix(
        installed,
        records.iter().filter_map(|(_, h)| h.fixed.as_deref()),
    );
    Finding {
        id: primary,
        aliases,
        related,
        records: record_ids.into_iter().map(str::to_owned).collect(),
        summary,
        severity: rating.as_ref().map_or(Severity::Unknown, |r| r.severity),
        remediation: remediation(package, &query.name, fixed.as_deref()),
        rating,
        package: package.clone(),
        ecosystem: query.ecosystem.clone(),
        advisory_package: query.name.clone(),
        installed_version: query.version.clone(),
        fixed_version: fixed,
        references: references.into_iter().map(str::to_owned).collect(),
    }
}

/// A computed CVSS rating beats a severity word; among equals the higher
/// level, then the higher score.
fn best_rating(ratings: impl Iterator<Item = Rating>) -> Option<Rating> {
    ratings.max_by(|a, b| {
        let key = |r: &Rating| {
            (
                r.source != RatingSource::Advisory,
                r.severity,
                r.score.unwrap_or(0.0),
            )
        };
        let (ka, kb) = (key(a), key(b));
        (ka.0, ka.1).cmp(&(kb.0, kb.1)).then(ka.2.total_cmp(&kb.2))
    })
}

/// Records of one vulnerability normally agree on the fix; when they do
/// not, the highest one is the version that resolves every record.
///
/// Repeats of the first fix are skipped: they cannot beat it. So the usual
/// case, every record naming one fix, parses nothing.
fn highest_fix<'a>(
    installed: Option<&Version>,
    fixes: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let mut fixes = fixes.peekable();
    let first = *fixes.peek()?;
    let mut others = fixes.filter(|fix| *fix != first).peekable();
    if others.peek().is_none() {
        return Some(first.to_owned());
    }
    let scheme = installed.map(Version::scheme);
    let mut best: Option<(&str, Option<Version>)> = None;
    for fix in std::iter::once(first).chain(others) {
        let parsed = scheme.and_then(|s| s.parse(fix).ok());
        let better = match (&best, &parsed) {
            (None, _) => true,
            (Some((_, Some(old))), Some(new)) => new > old,
            _ => false,
        };
        if better {
            best = Some((fix, parsed));
        }
    }
    best.map(|(fix, _)| fix.to_owned())
}
