//! The issue lifecycle: what one completed scan does to a target's issues.
//!
//! Pure: the caller passes the issues the target has and the findings of
//! the scan (reduced to what identity needs), and gets back, per finding,
//! whether it opens a new issue, is an issue found again, or reopens a
//! fixed one, plus the issues the scan no longer finds (fixed).
//!
//! Identity: the same package (see [`identity`]) and the same
//! vulnerability. A vulnerability is the finding's primary id; when a
//! database update changes a vulnerability's primary id (a GHSA record
//! gains its CVE alias), the previous issue is still recognised through a
//! shared alias, so the update neither fixes nor opens anything. Exact
//! primary-id matches are paired first, alias matches after, and an
//! alias match pairs one vulnerability with one issue.

pub mod identity;

use std::collections::{BTreeMap, BTreeSet};

pub use identity::PackageIdentity;

/// Where an issue stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueState {
    /// Found by the latest scan, and never fixed.
    Open,
    /// Not found by a later scan.
    Fixed,
    /// Fixed once, then found again.
    Reopened,
}

impl IssueState {
    /// The stored word; never change one, rows keep it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Fixed => "fixed",
            Self::Reopened => "reopened",
        }
    }

    /// The state a stored word names.
    pub fn parse(word: &str) -> Option<Self> {
        [Self::Open, Self::Fixed, Self::Reopened]
            .into_iter()
            .find(|state| state.as_str() == word)
    }

    /// Open or reopened: something to act on.
    pub fn is_active(self) -> bool {
        self != Self::Fixed
    }
}

/// An issue the target has before the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownIssue {
    /// The issue's id.
    pub id: String,
    /// The package it is in.
    pub package: PackageIdentity,
    /// Its vulnerability's primary id when last found.
    pub vulnerability_id: String,
    /// Its vulnerability's other ids when last found.
    pub aliases: Vec<String>,
    /// Where it stands.
    pub state: IssueState,
}

/// One finding of the scan, as far as identity goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The package it is in.
    pub package: PackageIdentity,
    /// The vulnerability's primary id.
    pub vulnerability_id: String,
    /// The vulnerability's other ids.
    pub aliases: Vec<String>,
}

/// What a scan does with one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new issue. Findings with the same identity (the same package
    /// listed twice) share the number, so they make one issue.
    Opened(usize),
    /// An open or reopened issue, found again.
    Seen(String),
    /// A fixed issue, found again.
    Reopened(String),
}

/// Everything a scan does to a target's issues.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// One outcome per observation, in order.
    pub outcomes: Vec<Outcome>,
    /// New issues (distinct `Opened` numbers).
    pub opened: usize,
    /// Issues reopened (distinct ids).
    pub reopened: usize,
    /// Open or reopened issues the scan did not find, now fixed.
    pub fixed: Vec<String>,
}

/// Compares the target's issues with a scan's findings.
pub fn diff(known: &[KnownIssue], found: &[Observation]) -> Diff {
    let matched = match_known(known, found);
    let mut outcomes = Vec::with_capacity(found.len());
    let mut new_ids: BTreeMap<(&PackageIdentity, &str), usize> = BTreeMap::new();
    let mut claimed = BTreeSet::new();
    let mut reopened = BTreeSet::new();
    for (observation, matched) in found.iter().zip(matched) {
        let outcome = match matched {
            Some(index) => {
                let issue = &known[index];
                claimed.insert(index);
                if issue.state == IssueState::Fixed {
                    reopened.insert(index);
                    Outcome::Reopened(issue.id.clone())
                } else {
                    Outcome::Seen(issue.id.clone())
                }
            }
            None => {
                let key = (&observation.package, observation.vulnerability_id.as_str());
                let next = new_ids.len();
                Outcome::Opened(*new_ids.entry(key).or_insert(next))
            }
        };
        outcomes.push(outcome);
    }
    let fixed = known
        .iter()
        .enumerate()
        .filter(|(index, issue)| issue.state.is_active() && !claimed.contains(index))
        .map(|(_, issue)| issue.id.clone())
        .collect();
    Diff {
        outcomes,
        opened: new_ids.len(),
        reopened: reopened.len(),
        fixed,
    }
}

/// For each observation, the index of the known issue it is, if any.
fn match_known(known: &[KnownIssue], found: &[Observation]) -> Vec<Option<usize>> {
    let exact: BTreeMap<(&PackageIdentity, &str), usize> = known
        .iter()
        .enumerate()
        .map(|(index, issue)| ((&issue.package, issue.vulnerability_id.as_str()), index))
        .collect();
    let mut matched: Vec<Option<usize>> = found
        .iter()
        .map(|o| {
            exact
                .get(&(&o.package, o.vulnerability_id.as_str()))
                .copied()
        })
        .collect();
    let mut taken: BTreeSet<usize> = matched.iter().flatten().copied().collect();
    // Alias pass: a vulnerability (package + primary id) that found no
    // exact match claims the first untaken issue sharing an id with it.
    let mut by_vulnerability: BTreeMap<(&PackageIdentity, &str), Option<usize>> = BTreeMap::new();
    for (slot, observation) in matched.iter_mut().zip(found) {
        if slot.is_some() {
            continue;
        }
        let key = (&observation.package, observation.vulnerability_id.as_str());
        let claim = by_vulnerability.entry(key).or_insert_with(|| {
            let ids = ids_of(&observation.vulnerability_id, &observation.aliases);
            let index = known.iter().enumerate().position(|(index, issue)| {
                !taken.contains(&index)
                    && issue.package == observation.package
                    && !ids.is_disjoint(&ids_of(&issue.vulnerability_id, &issue.aliases))
            });
            if let Some(index) = index {
                taken.insert(index);
            }
            index
        });
        *slot = *claim;
    }
    matched
}

fn ids_of<'a>(primary: &'a str, aliases: &'a [String]) -> BTreeSet<&'a str> {
    std::iter::once(primary)
        .chain(aliases.iter().map(String::as_str))
        .collect()
}

#[cfg(test)]
mod tests;
