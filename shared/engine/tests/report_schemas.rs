#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reports against their published JSON schemas, with real findings.
//!
//! The schemas are not vendored: the test installs the npm packages that
//! ship them (`@cyclonedx/cyclonedx-library`, Apache-2.0: the CycloneDX
//! 1.5 schema with its SPDX and JSF companions; `@microsoft/jest-sarif`,
//! MIT: the OASIS SARIF 2.1.0 schema) with `npm pack` into a cache
//! directory under the system temp dir, outside the repository, once per
//! machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use serde_json::Value;
use tagwarden_engine::advisory::{AdvisoryDb, Severity, import};
use tagwarden_engine::inventory::{Inventory, OsRelease, Package, PackageKind};
use tagwarden_engine::matcher::match_inventory;
use tagwarden_engine::report::{Filter, Format, ScanReport};

const PACKAGES: [&str; 2] = [
    "@cyclonedx/cyclonedx-library@10.3.0",
    "@microsoft/jest-sarif@1.0.0-beta.0",
];

/// The unpacked npm packages' schema files, fetched once.
fn schema_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("tagwarden-schema-cache-v2");
    let done = dir.join("complete");
    if done.exists() {
        return dir;
    }
    let staging = tempfile::tempdir().unwrap();
    let out = Command::new("npm")
        .args(["pack", "--silent", "--pack-destination"])
        .arg(staging.path())
        .args(PACKAGES)
        .output()
        .expect("npm is needed to fetch the published schemas");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::create_dir_all(&dir).unwrap();
    for tarball in std::fs::read_dir(staging.path()).unwrap() {
        let tarball = tarball.unwrap().path();
        let status = Command::new("tar")
            .args(["xzf"])
            .arg(&tarball)
            .args(["-C"])
            .arg(staging.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let package = staging.path().join("package");
    for (from, to) in [
        (
            "res/schema/bom-1.5.SNAPSHOT.schema.json",
            "bom-1.5.schema.json",
        ),
        ("res/schema/spdx.SNAPSHOT.schema.json", "spdx.schema.json"),
        (
            "res/schema/jsf-0.82.SNAPSHOT.schema.json",
            "jsf-0.82.schema.json",
        ),
        ("lib/schemas/sarif-2.1.0-rtm.5.json", "sarif-2.1.0.json"),
    ] {
        let text = std::fs::read_to_string(package.join(from)).unwrap();
        // The SARIF schema's `language` pattern has a stray `]`, a literal
        // to JavaScript's regex engine and an error to Rust's: escape it.
        let text = text.replace(r"[a-zA-Z]{2}]?$", r"[a-zA-Z]{2}\\]?$");
        std::fs::write(dir.join(to), text).unwrap();
    }
    std::fs::write(done, "").unwrap();
    dir
}

/// Resolves `…/spdx.schema.json` and friends from the cache directory.
struct LocalSchemas(PathBuf);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.path().as_str().rsplit('/').next().unwrap_or_default();
        let name = name.replace(".SNAPSHOT.", ".");
        let raw = std::fs::read(self.0.join(&name)).map_err(|e| format!("{name}: {e}"))?;
        Ok(serde_json::from_slice(&raw)?)
    }
}

fn validate(schema_file: &str, document: &str) {
    let dir = schema_dir();
    let schema: Value =
        serde_json::from_slice(&std::fs::read(dir.join(schema_file)).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_retriever(LocalSchemas(dir.clone()))
        .build(&schema)
        .unwrap();
    let instance: Value = serde_json::from_str(document).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

fn osv(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vulndata/osv")
        .join(path)
}

fn package(kind: PackageKind, name: &str, version: &str, source: Option<&str>) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        source_name: source.map(str::to_owned),
        source_version: None,
        arch: Some("amd64".into()),
        path: match kind {
            PackageKind::Deb => "/var/lib/dpkg/status".into(),
            _ => "/app/package-lock.json".into(),
        },
        layer: Some("sha256:0123".into()),
    }
}

/// Findings from real records: a DSA (no rating), a GHSA with a CVSS
/// vector, a PYSEC/GHSA pair that merges.
fn report() -> ScanReport {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("osv");
    std::fs::create_dir_all(&src).unwrap();
    for file in [
        "Debian/DSA-4539-1.json",
        "npm/GHSA-vh95-rmgr-6w4m.json",
        "npm/GHSA-xvch-5gv4-984h.json",
        "PyPI/PYSEC-2019-217.json",
    ] {
        let name = file.rsplit('/').next().unwrap();
        std::fs::copy(osv(file), src.join(name)).unwrap();
    }
    let db_path = dir.path().join("db.redb");
    import(&[src], &db_path).unwrap();
    let db = AdvisoryDb::open(&db_path).unwrap();
    let mut inventory = Inventory {
        os: Some(OsRelease {
            id: "debian".into(),
            version_id: Some("10".into()),
            pretty_name: Some("Debian GNU/Linux 10 (buster)".into()),
            ..OsRelease::default()
        }),
        packages: vec![
            package(PackageKind::Deb, "libssl1.1", "1.1.1c-1", Some("openssl")),
            package(PackageKind::Deb, "openssl", "1.1.1c-1", None),
            package(PackageKind::Npm, "minimist", "0.0.8", None),
            package(PackageKind::Python, "Jinja2", "2.10", None),
            package(PackageKind::Gem, "rails", "5.0.0", None),
        ],
        warnings: Vec::new(),
    };
    inventory.normalize();
    let result = match_inventory(&db, &inventory).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 8, 21, 12, 0, 0).unwrap();
    ScanReport::new(
        "registry.example/app:1.0",
        at,
        &inventory,
        result,
        &Filter::default(),
    )
}

#[test]
fn findings_carry_ids_severity_fixes_and_remediation() {
    let report = report();
    let rows: Vec<(&str, &str, Severity, Option<&str>, &str)> = report
        .findings
        .iter()
        .map(|f| {
            let fix = f.fixed_version.as_deref();
            (
                f.package.name.as_str(),
                f.id.as_str(),
                f.severity,
                fix,
                f.remediation.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "libssl1.1",
                "DSA-4539-1",
                Severity::Unknown,
                Some("1.1.1d-0+deb10u1"),
                "upgrade libssl1.1 (source package openssl) to 1.1.1d-0+deb10u1"
            ),
            (
                "openssl",
                "DSA-4539-1",
                Severity::Unknown,
                Some("1.1.1d-0+deb10u1"),
                "upgrade openssl to 1.1.1d-0+deb10u1"
            ),
            (
                "Jinja2",
                "CVE-2019-10906",
                Severity::Unknown,
                Some("2.10.1"),
                "upgrade Jinja2 to 2.10.1"
            ),
            (
                "minimist",
                "CVE-2020-7598",
                Severity::Medium,
                Some("0.2.1"),
                "upgrade minimist to 0.2.1"
            ),
            (
                "minimist",
                "CVE-2021-44906",
                Severity::Critical,
                Some("0.2.4"),
                "upgrade minimist to 0.2.4"
            ),
        ]
    );
    let dsa = &report.findings[0];
    assert_eq!(dsa.related, ["CVE-2019-1547", "CVE-2019-1563"]);
    let minimist = &report.findings[4];
    assert_eq!(minimist.aliases, ["GHSA-xvch-5gv4-984h"]);
    let rating = minimist.rating.as_ref().unwrap();
    assert_eq!(rating.score, Some(9.8));
    assert_eq!(report.not_covered.len(), 1);
    assert_eq!(report.not_covered[0].package.name, "rails");
}

#[test]
fn cyclonedx_is_valid_1_5_with_vulnerabilities() {
    let report = report();
    let bom = report.render(Format::CycloneDx);
    validate("bom-1.5.schema.json", &bom);
    let bom: Value = serde_json::from_str(&bom).unwrap();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 4);
    let dsa = vulns.iter().find(|v| v["id"] == "DSA-4539-1").unwrap();
    let refs: Vec<&str> = dsa["affects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        [
            "pkg:deb/debian/libssl1.1@1.1.1c-1?arch=amd64&distro=debian-10",
            "pkg:deb/debian/openssl@1.1.1c-1?arch=amd64&distro=debian-10",
        ]
    );
    assert_eq!(dsa["references"][0]["id"], "CVE-2019-1547");
    let minimist = vulns.iter().find(|v| v["id"] == "CVE-2021-44906").unwrap();
    assert_eq!(minimist["ratings"][0]["method"], "CVSSv31");
    assert_eq!(minimist["ratings"][0]["score"], 9.8);
    assert_eq!(minimist["recommendation"], "upgrade minimist to 0.2.4");
    let jinja = vulns.iter().find(|v| v["id"] == "CVE-2019-10906").unwrap();
    assert_eq!(jinja["ratings"][0]["severity"], "unknown");
    assert_eq!(bom["components"].as_array().unwrap().len(), 5);
}

#[test]
fn sarif_is_valid_2_1_0_with_one_rule_per_vulnerability() {
    let report = report();
    let log = report.render(Format::Sarif);
    validate("sarif-2.1.0.json", &log);
    let log: Value = serde_json::from_str(&log).unwrap();
    let run = &log["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "CVE-2019-10906",
            "CVE-2020-7598",
            "CVE-2021-44906",
            "DSA-4539-1"
        ]
    );
    assert_eq!(run["results"].as_array().unwrap().len(), 5);
    assert_eq!(
        run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "var/lib/dpkg/status"
    );
}

#[test]
fn json_and_table_render_the_same_findings() {
    let report = report();
    let json: Value = serde_json::from_str(&report.render(Format::Json)).unwrap();
    assert_eq!(json["summary"]["critical"], 1);
    assert_eq!(json["summary"]["not_covered"], 1);
    assert_eq!(json["findings"].as_array().unwrap().len(), 5);
    let table = report.render(Format::Table);
    assert!(table.contains("minimist   0.0.8"), "{table}");
    assert!(
        table.contains("not covered: 1 packages (RubyGems)"),
        "{table}"
    );
}
