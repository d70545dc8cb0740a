//! A real Debian 9 image's packages against the Debian records, checked by
//! dpkg itself.
//!
//! `postgres-stretch.cdx.xml` (a syft SBOM of `postgres:11.15-stretch`)
//! lists every installed deb with its source package and version. It is
//! rebuilt here as a dpkg `status` file and a Debian 9 `os-release`, read
//! by the engine's own analyzers into an inventory, and matched. The
//! independent check reads the `Debian:9` records straight from the JSON
//! files and asks `dpkg --compare-versions` whether each source version is
//! below each fix. Debian 9's support ended before the data's snapshot, so
//! its records are complete.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use tagwarden_engine::analyzer::{Analyzer, FileInput};
use tagwarden_engine::analyzers::{DpkgAnalyzer, OsReleaseAnalyzer};
use tagwarden_engine::inventory::Inventory;
use tagwarden_engine::matcher::match_inventory;

use super::support::{database, vulndata};

/// A deb from the SBOM: name, version, architecture, source and source
/// version (when syft recorded them).
#[derive(Debug, Clone)]
pub(crate) struct SbomDeb {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) arch: String,
    pub(crate) source: Option<String>,
    pub(crate) source_version: Option<String>,
}

/// Reads the deb components of the postgres-stretch SBOM.
pub(crate) fn sbom_debs() -> Vec<SbomDeb> {
    let path = vulndata()
        .join("fixtures/osv-scanner/source-testdata/sbom-insecure/postgres-stretch.cdx.xml");
    let xml = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let child_text = |node: roxmltree::Node<'_, '_>, tag: &str| {
        node.children()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
            .map(str::to_owned)
    };
    let mut debs = Vec::new();
    for component in doc.descendants().filter(|n| n.has_tag_name("component")) {
        let Some(purl) = child_text(component, "purl") else {
            continue;
        };
        if !purl.starts_with("pkg:deb/") {
            continue;
        }
        let mut properties = BTreeMap::new();
        for property in component
            .descendants()
            .filter(|n| n.has_tag_name("property"))
        {
            let name = property.attribute("name").unwrap_or_default().to_owned();
            properties.insert(name, property.text().unwrap_or_default().to_owned());
        }
        let arch = purl
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("arch="))
            .unwrap_or("amd64")
            .to_owned();
        debs.push(SbomDeb {
            name: child_text(component, "name").unwrap(),
            version: child_text(component, "version").unwrap(),
            arch,
            source: properties.get("syft:metadata:source").cloned(),
            source_version: properties.get("syft:metadata:sourceVersion").cloned(),
        });
    }
    debs
}

/// The SBOM as a dpkg status file.
fn status_file(debs: &[SbomDeb]) -> String {
    let mut out = String::new();
    for deb in debs {
        out.push_str(&format!(
            "Package: {}\nStatus: install ok installed\n",
            deb.name
        ));
        match (&deb.source, &deb.source_version) {
            (Some(s), Some(v)) => out.push_str(&format!("Source: {s} ({v})\n")),
            (Some(s), None) => out.push_str(&format!("Source: {s}\n")),
            _ => {}
        }
        out.push_str(&format!(
            "Version: {}\nArchitecture: {}\n\n",
            deb.version, deb.arch
        ));
    }
    out
}

const STRETCH_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 9 (stretch)\"\n\
    NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"9\"\nVERSION=\"9 (stretch)\"\n\
    VERSION_CODENAME=stretch\nID=debian\n";

/// The inventory the engine's analyzers read from the rebuilt files.
pub(crate) fn stretch_inventory() -> Inventory {
    let debs = sbom_debs();
    let status = status_file(&debs);
    let packages = DpkgAnalyzer
        .analyze(&FileInput {
            path: "/var/lib/dpkg/status",
            contents: status.as_bytes(),
        })
        .unwrap()
        .packages;
    let os = OsReleaseAnalyzer
        .analyze(&FileInput {
            path: "/etc/os-release",
            contents: STRETCH_OS_RELEASE.as_bytes(),
        })
        .unwrap()
        .os;
    let mut inventory = Inventory {
        os,
        packages,
        warnings: Vec::new(),
    };
    inventory.normalize();
    inventory
}

/// `dpkg --compare-versions a lt b`, cached.
fn dpkg_lt(cache: &mut BTreeMap<(String, String), bool>, a: &str, b: &str) -> bool {
    *cache
        .entry((a.to_owned(), b.to_owned()))
        .or_insert_with(|| {
            Command::new("dpkg")
                .args(["--compare-versions", a, "lt", b])
                .status()
                .expect("dpkg is installed on every development machine")
                .success()
        })
}

/// (binary package, record id, fixed version) computed from the JSON
/// records with dpkg, independently of the engine.
fn independent_findings(debs: &[SbomDeb]) -> BTreeSet<(String, String, String)> {
    let mut by_source: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for file in std::fs::read_dir(vulndata().join("osv/Debian")).unwrap() {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        let record: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        for affected in record["affected"].as_array().unwrap() {
            if affected["package"]["ecosystem"] != "Debian:9" {
                continue;
            }
            let source = affected["package"]["name"].as_str().unwrap().to_owned();
            // The converted records have one range: introduced 0, fixed X.
            let events = affected["ranges"][0]["events"].as_array().unwrap();
            assert_eq!(events[0]["introduced"], "0");
            let fixed = events[1]["fixed"].as_str().unwrap().to_owned();
            let id = record["id"].as_str().unwrap().to_owned();
            by_source.entry(source).or_default().push((id, fixed));
        }
    }
    let mut cache = BTreeMap::new();
    let mut out = BTreeSet::new();
    for deb in debs {
        let source = deb.source.as_deref().unwrap_or(&deb.name);
        let version = deb.source_version.as_deref().unwrap_or(&deb.version);
        for (id, fixed) in by_source.get(source).into_iter().flatten() {
            if dpkg_lt(&mut cache, version, fixed) {
                out.insert((deb.name.clone(), id.clone(), fixed.clone()));
            }
        }
    }
    out
}

#[test]
fn postgres_stretch_findings_equal_dpkg_compare_versions() {
    let debs = sbom_debs();
    assert_eq!(debs.len(), 132);
    let inventory = stretch_inventory();
    assert_eq!(
        inventory.os.as_ref().unwrap().version_id.as_deref(),
        Some("9")
    );
    assert_eq!(inventory.packages.len(), 132);

    let result = match_inventory(database(), &inventory).unwrap();
    assert!(result.not_covered.is_empty(), "{:?}", result.not_covered);
    assert_eq!(result.packages_checked, 132);
    let ours: BTreeSet<(String, String, String)> = result
        .findings
        .iter()
        .flat_map(|f| {
            let fixed = f.fixed_version.clone().unwrap_or_default();
            f.records
                .iter()
                .map(move |r| (f.package.name.clone(), r.clone(), fixed.clone()))
        })
        .collect();
    let expected = independent_findings(&debs);
    assert_eq!(ours, expected);
    assert_eq!(expected.len(), 9);
    let packages: BTreeSet<&str> = expected.iter().map(|(p, _, _)| p.as_str()).collect();
    eprintln!(
        "stretch findings: {} over {:?}: {expected:?}",
        expected.len(),
        packages
    );
}
