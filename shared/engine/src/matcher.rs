//! Matching an inventory against the advisory database.
//!
//! For each package: derive the ecosystem, name and version advisories use
//! ([`target`]); if the database holds no data for that ecosystem, report
//! the package as *not covered* (never as clean); otherwise look up its
//! entries, keep those whose ranges contain the version ([`range`]), drop
//! nothing silently, and merge records of one vulnerability into one
//! finding ([`merge`]).
//!
//! Known shortcoming: a 2,000-package inventory takes 17-19 ms on a 2-core
//! machine (the `advisory_db` bench), where we aim for 5 ms. Under a
//! profiler the time is spread thin: small allocations (about 40 % of
//! instructions), range boundaries parsed again on every check, and
//! advisories decoded into owned strings and copied into findings. Storing
//! boundaries pre-parsed at import (a new database format) and borrowing
//! decoded advisories are the next steps.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::advisory::{
    Advisory, AdvisoryDb, AdvisoryError, AffectedEntry, DatabaseVersion, Reader,
};
use crate::inventory::{Inventory, Package};
use crate::version::Version;

pub mod finding;
pub mod merge;
pub mod range;
pub mod target;

pub use finding::Finding;
pub use range::Hit;
pub use target::{Query, query_for};

/// A package whose vulnerabilities cannot be known from this database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotCovered {
    /// The package.
    pub package: Package,
    /// The ecosystem it maps to, when it maps to one the database lacks.
    pub ecosystem: Option<String>,
    /// Why, in words.
    pub reason: String,
}

/// Everything one match produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// The database the result was computed from.
    pub database: DatabaseVersion,
    /// Findings, sorted by package then id.
    pub findings: Vec<Finding>,
    /// Packages that could not be checked.
    pub not_covered: Vec<NotCovered>,
    /// Packages that were checked against data (found vulnerable or not).
    pub packages_checked: usize,
}

/// Matches every package of an inventory.
pub fn match_inventory(
    db: &AdvisoryDb,
    inventory: &Inventory,
) -> Result<MatchResult, AdvisoryError> {
    let reader = db.reader()?;
    let os = inventory.os.as_ref();
    let mut findings = Vec::new();
    let mut not_covered = Vec::new();
    let mut checked = 0;
    // Many binary packages share one source (glibc → libc6, libc-bin…):
    // look each (ecosystem, name, version) up once, and parse its version
    // once.
    let mut lookups: HashMap<Query, Lookup> = HashMap::new();
    for package in &inventory.packages {
        let query = match query_for(os, package) {
            Ok(query) => query,
            Err(unmapped) => {
                not_covered.push(NotCovered {
                    package: package.clone(),
                    ecosystem: None,
                    reason: unmapped.reason,
                });
                continue;
            }
        };
        if !db.covers(&query.ecosystem) {
            not_covered.push(NotCovered {
                package: package.clone(),
                reason: format!("the advisory database has no {} data", query.ecosystem),
                ecosystem: Some(query.ecosystem),
            });
            continue;
        }
        checked += 1;
        if !lookups.contains_key(&query) {
            let lookup = Lookup::run(&reader, &query)?;
            lookups.insert(query.clone(), lookup);
        }
        let lookup = &lookups[&query];
        if lookup.matched.is_empty() {
            continue;
        }
        findings.extend(merge::merge(
            package,
            &query,
            lookup.installed.as_ref(),
            &lookup.matched,
        ));
    }
    findings.sort_by(|a, b| (&a.package, &a.id).cmp(&(&b.package, &b.id)));
    Ok(MatchResult {
        database: db.status().version.clone(),
        findings,
        not_covered,
        packages_checked: checked,
    })
}

/// One (ecosystem, name, version) looked up: the parsed version and the
/// records that contain it.
struct Lookup {
    installed: Option<Version>,
    matched: Vec<(Advisory, Hit)>,
}

impl Lookup {
    fn run(reader: &Reader<'_>, query: &Query) -> Result<Lookup, AdvisoryError> {
        let installed = range::parse_installed(&query.ecosystem, &query.version);
        let matched = records_containing(reader, query, installed.as_ref())?;
        Ok(Lookup { installed, matched })
    }
}

/// The records whose entries for (ecosystem, name) contain the version,
/// each with its fix. Records are not merged here; the ground-truth test
/// compares these ids with osv.dev's answers.
pub fn matching_records(
    reader: &Reader<'_>,
    query: &Query,
) -> Result<Vec<(Advisory, Hit)>, AdvisoryError> {
    let installed = range::parse_installed(&query.ecosystem, &query.version);
    records_containing(reader, query, installed.as_ref())
}

/// [`matching_records`] with the installed version already parsed.
fn records_containing(
    reader: &Reader<'_>,
    query: &Query,
    installed: Option<&Version>,
) -> Result<Vec<(Advisory, Hit)>, AdvisoryError> {
    let hits = reader.with_affected(&query.ecosystem, &query.name, |entries| {
        if installed.is_none() && !entries.is_empty() {
            tracing::debug!(
                ecosystem = %query.ecosystem, name = %query.name, version = %query.version,
                "installed version does not parse; matching explicit versions only"
            );
        }
        let module = range::module_tag(&query.version);
        let same_module =
            |e: &AffectedEntry<&str, &[u8]>| module.is_some_and(|m| range::mentions(e, m));
        // Records that name the installed module build's platform in some
        // entry: only those entries decide (see `range::module_tag`).
        let narrowed: Vec<&str> = entries
            .iter()
            .filter(|e| same_module(e))
            .map(|e| e.record)
            .collect();
        let mut hits: Vec<(String, Hit)> = Vec::new();
        for entry in entries {
            if narrowed.contains(&entry.record) && !same_module(entry) {
                continue;
            }
            let Some(hit) = range::check(entry, &query.version, installed) else {
                continue;
            };
            // One record may list the package twice (two ranges, or a
            // module stream and the plain package): keep one hit,
            // preferring a fix.
            match hits.iter_mut().find(|(id, _)| id == entry.record) {
                Some((_, old)) if old.fixed.is_none() => *old = hit,
                Some(_) => {}
                None => hits.push((entry.record.to_owned(), hit)),
            }
        }
        hits
    })?;
    let mut matched = Vec::with_capacity(hits.len());
    for (id, hit) in hits {
        if let Some(advisory) = reader.advisory(&id)? {
            matched.push((advisory, hit));
        }
    }
    Ok(matched)
}
