//! Applying one completed scan to its target's issues: load them, let the
//! pure [`diff`](crate::issues::diff) decide, write new issues, updates,
//! reopenings and fixes, and the scan's findings linked to their issues.

use std::collections::BTreeMap;

use anyhow::Context as _;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait as _, DatabaseTransaction};
use tagwarden_bus::events::SeverityCounts;
use tagwarden_engine::advisory::Severity;
use tagwarden_engine::matcher::{Finding, MatchResult};

use super::{Ran, ScanJob, Summary};
use crate::issues::{self, IssueState, KnownIssue, Observation, Outcome, PackageIdentity};
use crate::store::{finding, issue, to_millis};

/// Diffs and writes; returns the counts for `scans.completed`.
pub(super) async fn apply(
    txn: &DatabaseTransaction,
    job: &ScanJob,
    ran: Ran,
    result: &MatchResult,
) -> anyhow::Result<Summary> {
    let stored = issue::of_target(txn, &job.target_id).await?;
    let known: Vec<KnownIssue> = stored.iter().map(known).collect::<anyhow::Result<_>>()?;
    let found: Vec<Observation> = result.findings.iter().map(observe).collect();
    let diff = issues::diff(&known, &found);

    let mut stored: BTreeMap<String, issue::Model> = stored
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    let mut new_ids: BTreeMap<usize, String> = BTreeMap::new();
    let mut linked: Vec<(&Finding, String)> = Vec::with_capacity(found.len());
    let mut severities: BTreeMap<String, Severity> = BTreeMap::new();
    let seen_at = to_millis(ran.finished);

    for (finding, outcome) in result.findings.iter().zip(&diff.outcomes) {
        let issue_id = match outcome {
            Outcome::Opened(n) => match new_ids.get(n) {
                Some(id) => id.clone(),
                None => {
                    let id = uuid::Uuid::now_v7().to_string();
                    insert_new(txn, &id, job, finding, seen_at).await?;
                    new_ids.insert(*n, id.clone());
                    id
                }
            },
            Outcome::Seen(id) | Outcome::Reopened(id) => {
                // A second finding of one issue (the package listed twice)
                // finds it already updated by the first.
                if let Some(row) = stored.remove(id) {
                    let reopened = matches!(outcome, Outcome::Reopened(_));
                    update_seen(txn, row, job, finding, seen_at, reopened).await?;
                }
                id.clone()
            }
        };
        let worst = severities
            .entry(issue_id.clone())
            .or_insert(finding.severity);
        *worst = (*worst).max(finding.severity);
        linked.push((finding, issue_id));
    }
    for id in &diff.fixed {
        if let Some(row) = stored.remove(id) {
            mark_fixed(txn, row, job, seen_at).await?;
        }
    }
    let pairs: Vec<(&Finding, &str)> = linked.iter().map(|(f, id)| (*f, id.as_str())).collect();
    finding::insert_all(txn, &job.scan_id, &pairs).await?;
    Ok(Summary {
        counts: count(severities.values().copied()),
        opened: u32::try_from(diff.opened).unwrap_or(u32::MAX),
        fixed: u32::try_from(diff.fixed.len()).unwrap_or(u32::MAX),
        reopened: u32::try_from(diff.reopened).unwrap_or(u32::MAX),
    })
}

fn known(row: &issue::Model) -> anyhow::Result<KnownIssue> {
    Ok(KnownIssue {
        id: row.id.clone(),
        package: PackageIdentity::from_key(&row.identity_key)
            .with_context(|| format!("issue {} has an unreadable identity", row.id))?,
        vulnerability_id: row.vulnerability_id.clone(),
        aliases: serde_json::from_str(&row.aliases)
            .with_context(|| format!("issue {} has unreadable aliases", row.id))?,
        state: IssueState::parse(&row.state)
            .with_context(|| format!("issue {} has unknown state {:?}", row.id, row.state))?,
    })
}

fn observe(finding: &Finding) -> Observation {
    Observation {
        package: PackageIdentity::of(&finding.package),
        vulnerability_id: finding.id.clone(),
        aliases: finding.aliases.clone(),
    }
}

/// The severity levels' order in listings: critical first.
pub(crate) fn severity_rank(severity: Severity) -> i32 {
    match severity {
        Severity::Critical => 4,
        Severity::High => 3,
        Severity::Medium => 2,
        Severity::Low => 1,
        Severity::Unknown => 0,
    }
}

fn count(severities: impl Iterator<Item = Severity>) -> SeverityCounts {
    let mut counts = SeverityCounts::default();
    for severity in severities {
        let slot = match severity {
            Severity::Critical => &mut counts.critical,
            Severity::High => &mut counts.high,
            Severity::Medium => &mut counts.medium,
            Severity::Low => &mut counts.low,
            Severity::Unknown => &mut counts.unknown,
        };
        *slot += 1;
    }
    counts
}

/// The finding's description of the issue: what the latest scan says.
fn describe(row: &mut issue::ActiveModel, finding: &Finding) -> anyhow::Result<()> {
    let package = &finding.package;
    let rating = finding.rating.as_ref();
    row.vulnerability_id = Set(finding.id.clone());
    row.aliases = Set(serde_json::to_string(&finding.aliases).context("failed to encode aliases")?);
    row.severity = Set(finding.severity.as_str().to_owned());
    row.severity_rank = Set(severity_rank(finding.severity));
    row.cvss_score = Set(rating.and_then(|r| r.score));
    row.cvss_vector = Set(rating.and_then(|r| r.vector.clone()));
    row.package_name = Set(package.name.clone());
    row.package_name_lower = Set(package.name.to_lowercase());
    row.source_name = Set(package.source_name.clone());
    row.installed_version = Set(package.version.clone());
    row.package_kind = Set(package.kind.as_str().to_owned());
    row.path = Set(package.path.clone());
    row.layer = Set(package.layer.clone());
    row.fixed_version = Set(finding.fixed_version.clone());
    row.remediation = Set(finding.remediation.clone());
    row.summary = Set(finding.summary.clone());
    Ok(())
}

async fn insert_new(
    txn: &DatabaseTransaction,
    id: &str,
    job: &ScanJob,
    finding: &Finding,
    at: i64,
) -> anyhow::Result<()> {
    let mut row = issue::ActiveModel {
        id: Set(id.to_owned()),
        target_id: Set(job.target_id.clone()),
        identity_key: Set(PackageIdentity::of(&finding.package).key()),
        state: Set(IssueState::Open.as_str().to_owned()),
        first_seen_at_ms: Set(at),
        first_seen_scan_id: Set(job.scan_id.clone()),
        last_seen_at_ms: Set(at),
        last_seen_scan_id: Set(job.scan_id.clone()),
        fixed_at_ms: Set(None),
        fixed_by_scan_id: Set(None),
        reopened_at_ms: Set(None),
        reopened_by_scan_id: Set(None),
        ..Default::default()
    };
    describe(&mut row, finding)?;
    row.insert(txn)
        .await
        .with_context(|| format!("failed to open issue {id}"))?;
    Ok(())
}

async fn update_seen(
    txn: &DatabaseTransaction,
    row: issue::Model,
    job: &ScanJob,
    finding: &Finding,
    at: i64,
    reopened: bool,
) -> anyhow::Result<()> {
    let id = row.id.clone();
    let mut row: issue::ActiveModel = row.into();
    describe(&mut row, finding)?;
    row.identity_key = Set(PackageIdentity::of(&finding.package).key());
    row.last_seen_at_ms = Set(at);
    row.last_seen_scan_id = Set(job.scan_id.clone());
    if reopened {
        row.state = Set(IssueState::Reopened.as_str().to_owned());
        row.reopened_at_ms = Set(Some(at));
        row.reopened_by_scan_id = Set(Some(job.scan_id.clone()));
        row.fixed_at_ms = Set(None);
        row.fixed_by_scan_id = Set(None);
    }
    row.update(txn)
        .await
        .with_context(|| format!("failed to update issue {id}"))?;
    Ok(())
}

async fn mark_fixed(
    txn: &DatabaseTransaction,
    row: issue::Model,
    job: &ScanJob,
    at: i64,
) -> anyhow::Result<()> {
    let id = row.id.clone();
    let mut row: issue::ActiveModel = row.into();
    row.state = Set(IssueState::Fixed.as_str().to_owned());
    row.fixed_at_ms = Set(Some(at));
    row.fixed_by_scan_id = Set(Some(job.scan_id.clone()));
    row.reopened_at_ms = Set(None);
    row.reopened_by_scan_id = Set(None);
    row.update(txn)
        .await
        .with_context(|| format!("failed to mark issue {id} fixed"))?;
    Ok(())
}
