//! SARIF 2.1.0: one rule per vulnerability id, one result per affected
//! package, located at the file the package was read from.
//!
//! `security-severity` carries the CVSS score (or a representative score
//! for the level when only a word is known), which is what code-scanning
//! dashboards sort and filter on.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::ScanReport;
use crate::advisory::Severity;
use crate::matcher::finding::Finding;

/// Renders the report as a SARIF 2.1.0 log.
pub fn render(report: &ScanReport) -> String {
    let mut rules: BTreeMap<&str, &Finding> = BTreeMap::new();
    for finding in &report.findings {
        rules.entry(&finding.id).or_insert(finding);
    }
    let rule_index: BTreeMap<&str, usize> =
        rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules_json: Vec<Value> = rules.values().map(|f| rule(f)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, rule_index[f.id.as_str()]))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tagwarden",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://ossf.github.io/osv-schema/",
                "rules": rules_json,
            }},
            "results": results,
            "properties": {
                "target": report.target,
                "database": report.database.to_string(),
            },
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

fn rule(finding: &Finding) -> Value {
    let summary = finding
        .summary
        .clone()
        .unwrap_or_else(|| format!("{} in {}", finding.id, finding.advisory_package));
    let mut tags = vec!["vulnerability".to_owned(), "security".to_owned()];
    tags.push(finding.severity.as_str().to_owned());
    json!({
        "id": finding.id,
        "name": finding.id.replace(['-', ':'], "_"),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full_description(finding)},
        "helpUri": format!("https://osv.dev/vulnerability/{}", finding.id),
        "help": {"text": finding.remediation},
        "defaultConfiguration": {"level": level(finding.severity)},
        "properties": {
            "security-severity": security_severity(finding),
            "tags": tags,
        },
    })
}

fn full_description(finding: &Finding) -> String {
    let mut text = finding
        .summary
        .clone()
        .unwrap_or_else(|| finding.id.clone());
    if !finding.aliases.is_empty() {
        text.push_str(&format!(" (also {})", finding.aliases.join(", ")));
    }
    text
}

fn result(finding: &Finding, rule_index: usize) -> Value {
    let package = &finding.package;
    let message = format!(
        "{} {} ({}) is affected by {}: {}",
        package.name, package.version, package.kind, finding.id, finding.remediation
    );
    json!({
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {"artifactLocation": {
                "uri": package.path.trim_start_matches('/'),
            }},
            "logicalLocations": [{"name": package.name, "kind": "package"}],
        }],
        "properties": {
            "installedVersion": package.version,
            "fixedVersion": finding.fixed_version,
            "layer": package.layer,
        },
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// The CVSS score, or the middle of the level's band.
fn security_severity(finding: &Finding) -> String {
    let score = finding
        .rating
        .as_ref()
        .and_then(|r| r.score)
        .unwrap_or(match finding.severity {
            Severity::Critical => 9.5,
            Severity::High => 8.0,
            Severity::Medium => 5.5,
            Severity::Low => 2.0,
            Severity::Unknown => 0.0,
        });
    format!("{score:.1}")
}
