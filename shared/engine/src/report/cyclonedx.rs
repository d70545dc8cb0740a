//! CycloneDX 1.5 JSON: every package as a component, every vulnerability
//! once with `affects` pointing at the components it was found in.
//!
//! Written with `serde_json` rather than the `cyclonedx-bom` crate: we emit
//! one fixed shape, the crate's model adds a large dependency for it, and
//! the output is checked against the published 1.5 schema in
//! `tests/report_schemas.rs` either way.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::ScanReport;
use super::purl::purl;
use crate::advisory::RatingSource;
use crate::matcher::finding::Finding;

/// Renders the report as a CycloneDX 1.5 BOM.
pub fn render(report: &ScanReport) -> String {
    let refs = bom_refs(report);
    let components: Vec<Value> = report
        .packages
        .iter()
        .zip(&refs)
        .map(|(package, bom_ref)| {
            let mut properties = vec![
                json!({"name": "tagwarden:package:type", "value": package.kind.as_str()}),
                json!({"name": "tagwarden:package:path", "value": package.path}),
            ];
            let optional = [
                ("tagwarden:package:source_name", &package.source_name),
                ("tagwarden:package:source_version", &package.source_version),
                ("tagwarden:package:layer", &package.layer),
            ];
            for (name, value) in optional {
                if let Some(value) = value {
                    properties.push(json!({"name": name, "value": value}));
                }
            }
            json!({
                "type": "library",
                "bom-ref": bom_ref,
                "name": package.name,
                "version": package.version,
                "purl": purl(package, report.os.as_ref()),
                "properties": properties,
            })
        })
        .collect();
    let index: HashMap<&crate::inventory::Package, &str> = report
        .packages
        .iter()
        .zip(&refs)
        .map(|(p, r)| (p, r.as_str()))
        .collect();
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in &report.findings {
        by_id.entry(&finding.id).or_default().push(finding);
    }
    let vulnerabilities: Vec<Value> = by_id
        .into_iter()
        .map(|(id, findings)| vulnerability(id, &findings, &index))
        .collect();
    let mut metadata = json!({
        "timestamp": report.scanned_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "tools": {"components": [{
            "type": "application",
            "name": "tagwarden",
            "version": env!("CARGO_PKG_VERSION"),
        }]},
        "component": {"type": "container", "bom-ref": "scan-target", "name": report.target},
        "properties": [{"name": "tagwarden:database:version", "value": report.database.to_string()}],
    });
    if let (Some(os), Some(properties)) = (&report.os, metadata["properties"].as_array_mut()) {
        properties.push(json!({"name": "tagwarden:os", "value": os_name(os)}));
    }
    let bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": serial_number(report),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "vulnerabilities": vulnerabilities,
    });
    serde_json::to_string_pretty(&bom).unwrap_or_default() + "\n"
}

fn os_name(os: &crate::inventory::OsRelease) -> String {
    os.pretty_name
        .clone()
        .unwrap_or_else(|| format!("{} {}", os.id, os.version_id.as_deref().unwrap_or_default()))
}

/// One vulnerability, affecting every component it was found in.
fn vulnerability(
    id: &str,
    findings: &[&Finding],
    index: &HashMap<&crate::inventory::Package, &str>,
) -> Value {
    let first = findings[0];
    let references: Vec<Value> = first
        .aliases
        .iter()
        .chain(&first.related)
        .map(|alias| json!({"id": alias, "source": source(alias)}))
        .collect();
    let ratings: Vec<Value> = match &first.rating {
        Some(rating) => {
            let method = match (rating.source, rating.vector.as_deref()) {
                (RatingSource::CvssV4, _) => "CVSSv4",
                (RatingSource::CvssV3, Some(v)) if v.starts_with("CVSS:3.1") => "CVSSv31",
                (RatingSource::CvssV3, _) => "CVSSv3",
                (RatingSource::Advisory, _) => "other",
            };
            let mut r = json!({"severity": rating.severity.as_str(), "method": method});
            if let Some(score) = rating.score {
                r["score"] = json!(score);
            }
            if let Some(vector) = &rating.vector {
                r["vector"] = json!(vector);
            }
            vec![r]
        }
        None => vec![json!({"severity": "unknown"})],
    };
    let affects: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "ref": index.get(&f.package).copied().unwrap_or_default(),
                "versions": [{"version": f.package.version, "status": "affected"}],
            })
        })
        .collect();
    let mut remediations: Vec<&str> = findings.iter().map(|f| f.remediation.as_str()).collect();
    remediations.dedup();
    let mut vulnerability = json!({
        "bom-ref": format!("vuln:{id}"),
        "id": id,
        "source": source(id),
        "references": references,
        "ratings": ratings,
        "recommendation": remediations.join("; "),
        "affects": affects,
    });
    if let Some(summary) = &first.summary {
        vulnerability["description"] = json!(summary);
    }
    vulnerability
}

/// Where an id is published.
fn source(id: &str) -> Value {
    if id.starts_with("CVE-") {
        json!({"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}")})
    } else if id.starts_with("GHSA-") {
        json!({"name": "GitHub", "url": format!("https://github.com/advisories/{id}")})
    } else {
        json!({"name": "OSV", "url": format!("https://osv.dev/vulnerability/{id}")})
    }
}

/// A unique bom-ref per package: its purl, with `#n` for repeats (the
/// same package installed at two paths).
fn bom_refs(report: &ScanReport) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    report
        .packages
        .iter()
        .map(|p| {
            let base = purl(p, report.os.as_ref());
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { base } else { format!("{base}#{n}") }
        })
        .collect()
}

/// A stable serial number: the same scan renders the same BOM.
fn serial_number(report: &ScanReport) -> String {
    let mut hasher = Sha256::new();
    hasher.update(report.target.as_bytes());
    hasher.update(report.database.content_hash.as_bytes());
    hasher.update(report.scanned_at.to_rfc3339().as_bytes());
    let h = hex::encode(&hasher.finalize()[..16]);
    // Version 8 ("custom") and the RFC 4122 variant.
    format!(
        "urn:uuid:{}-{}-8{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}
