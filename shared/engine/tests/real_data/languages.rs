//! Real language packages: installed by pip, resolved by cargo, compiled by
//! Debian's Go, read by the engine's analyzers, matched against real
//! records, and checked against what the records themselves list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use tagwarden_engine::inventory::{Inventory, PackageKind};
use tagwarden_engine::matcher::{Query, match_inventory, matching_records};

use super::support::{analyze_tree, database, run, vulndata};

const SITE: &str = "/usr/local/lib/python3.11/site-packages";

fn pip_install(target: &Path, pins: &[String]) -> Inventory {
    let mut pip = Command::new("python3");
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
    ])
    .args(["--disable-pip-version-check", "--target"])
    .arg(target)
    .args(pins);
    run(&mut pip);
    analyze_tree(target, SITE)
}

/// Record ids per package found by the engine.
fn records_by_package(inventory: &Inventory) -> BTreeMap<String, BTreeSet<String>> {
    let result = match_inventory(database(), inventory).unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for finding in &result.findings {
        let entry = out.entry(finding.package.name.to_lowercase()).or_default();
        entry.extend(finding.records.iter().cloned());
    }
    out
}

/// PyPI records whose entry for `name` lists `version` explicitly: the
/// advisory database's own statement of which versions are affected.
fn listed_for(name: &str, version: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in std::fs::read_dir(vulndata().join("osv/PyPI")).unwrap() {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        let record: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        if record.get("withdrawn").is_some_and(|w| !w.is_null()) {
            continue;
        }
        for affected in record["affected"].as_array().unwrap() {
            let listed = affected["versions"]
                .as_array()
                .is_some_and(|vs| vs.iter().any(|v| v == version));
            if affected["package"]["name"] == name && listed {
                out.insert(record["id"].as_str().unwrap().to_owned());
            }
        }
    }
    out
}

#[test]
fn pip_installed_vulnerable_versions_match_and_their_fixes_do_not() {
    let pins = [
        ("jinja2", "2.10"),
        ("requests", "2.19.0"),
        ("urllib3", "1.24.1"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let specs: Vec<String> = pins.iter().map(|(n, v)| format!("{n}=={v}")).collect();
    let inventory = pip_install(&dir.path().join("old"), &specs);
    assert_eq!(inventory.packages.len(), 3, "{:?}", inventory.packages);
    let found = records_by_package(&inventory);
    for (name, version) in pins {
        assert_eq!(found[name], listed_for(name, version), "{name} {version}");
    }
    let counts: Vec<(&str, usize)> = pins.iter().map(|(n, _)| (*n, found[*n].len())).collect();
    eprintln!("pypi records: {found:?}");
    assert_eq!(counts, [("jinja2", 2), ("requests", 2), ("urllib3", 7)]);

    // Each finding's fixed version no longer has that finding.
    let result = match_inventory(database(), &inventory).unwrap();
    let reader = database().reader().unwrap();
    for finding in &result.findings {
        let fixed = finding
            .fixed_version
            .as_deref()
            .expect("every one has a fix");
        let query = Query {
            ecosystem: "PyPI".into(),
            name: finding.package.name.clone(),
            version: fixed.to_owned(),
        };
        let still: BTreeSet<String> = matching_records(&reader, &query)
            .unwrap()
            .into_iter()
            .map(|(a, _)| a.id)
            .collect();
        assert!(
            still.is_disjoint(&finding.records.iter().cloned().collect()),
            "{fixed}"
        );
    }

    // Installing the highest fix of each package clears all of them.
    let mut highest: BTreeMap<String, String> = BTreeMap::new();
    for finding in &result.findings {
        let fix = finding.fixed_version.clone().unwrap();
        let slot = highest
            .entry(finding.package.name.to_lowercase())
            .or_insert(fix.clone());
        let scheme = tagwarden_engine::version::VersionScheme::Pep440;
        if scheme.compare(&fix, slot).unwrap().is_gt() {
            *slot = fix;
        }
    }
    let specs: Vec<String> = highest.iter().map(|(n, v)| format!("{n}=={v}")).collect();
    let fixed = pip_install(&dir.path().join("fixed"), &specs);
    let after = records_by_package(&fixed);
    for (name, before) in &found {
        let now = after.get(name).cloned().unwrap_or_default();
        assert!(now.is_disjoint(before), "{name}: {now:?}");
    }
}

fn cargo_lock(dir: &Path, deps: &[(&str, &str)]) -> Inventory {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    let mut manifest = String::from(
        "[package]\nname = \"pinned\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    for (name, version) in deps {
        manifest.push_str(&format!("{name} = \"={version}\"\n"));
    }
    manifest.push_str("\n[workspace]\n");
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    run(Command::new("cargo")
        .arg("generate-lockfile")
        .current_dir(dir));
    let lock_dir = dir.join("lock");
    std::fs::create_dir_all(&lock_dir).unwrap();
    std::fs::copy(dir.join("Cargo.lock"), lock_dir.join("Cargo.lock")).unwrap();
    analyze_tree(&lock_dir, "/src")
}

#[test]
fn cargo_lock_with_old_crates_matches_rustsec_and_fixes_clear_it() {
    let dir = tempfile::tempdir().unwrap();
    let pins = [
        ("smallvec", "1.6.0"),
        ("time", "0.1.43"),
        ("regex", "1.5.4"),
    ];
    let inventory = cargo_lock(&dir.path().join("old"), &pins);
    assert!(
        inventory
            .packages
            .iter()
            .all(|p| p.kind == PackageKind::Cargo)
    );
    let found = records_by_package(&inventory);
    eprintln!("cargo records: {found:?}");
    let pinned: BTreeMap<&str, Vec<&str>> = pins
        .iter()
        .map(|(n, _)| {
            (
                *n,
                found
                    .get(*n)
                    .map(|s| s.iter().map(String::as_str).collect())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(pinned["smallvec"], ["RUSTSEC-2021-0003"]);
    assert_eq!(pinned["time"], ["RUSTSEC-2020-0071"]);
    assert_eq!(pinned["regex"], ["RUSTSEC-2022-0013"]);

    let fixes = [
        ("smallvec", "1.6.1"),
        ("time", "0.2.23"),
        ("regex", "1.5.5"),
    ];
    let fixed = cargo_lock(&dir.path().join("fixed"), &fixes);
    let after = records_by_package(&fixed);
    for (name, _) in fixes {
        assert_eq!(after.get(name), None, "{name}");
    }
}

/// stdlib records for `version` (no `v`), computed from the JSON with the
/// `semver` crate and plain introduced/fixed pairs.
fn stdlib_records_for(version: &str) -> BTreeSet<String> {
    let installed = semver::Version::parse(version).unwrap();
    let mut out = BTreeSet::new();
    for file in std::fs::read_dir(vulndata().join("osv/Go")).unwrap() {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        let record: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        if record.get("withdrawn").is_some_and(|w| !w.is_null()) {
            continue;
        }
        for affected in record["affected"].as_array().unwrap() {
            if affected["package"]["name"] != "stdlib" {
                continue;
            }
            for range in affected["ranges"].as_array().unwrap() {
                let mut inside = false;
                for event in range["events"].as_array().unwrap() {
                    let at = |key: &str| {
                        event[key].as_str().map(|v| {
                            if v == "0" {
                                semver::Version::new(0, 0, 0)
                            } else {
                                semver::Version::parse(v).unwrap()
                            }
                        })
                    };
                    if let Some(v) = at("introduced") {
                        inside |= installed >= v;
                    }
                    if let Some(v) = at("fixed") {
                        inside &= installed < v;
                    }
                }
                if inside {
                    out.insert(record["id"].as_str().unwrap().to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn go_binary_built_by_debian_go_reports_stdlib_advisories() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("go.mod"), "module example.com/hello\n\ngo 1.19\n").unwrap();
    std::fs::write(
        src.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
    )
    .unwrap();
    let out = dir.path().join("bin");
    std::fs::create_dir_all(&out).unwrap();
    run(Command::new("/usr/lib/go-1.19/bin/go")
        .args(["build", "-o"])
        .arg(out.join("hello"))
        .arg(".")
        .current_dir(&src)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPATH", dir.path().join("gopath"))
        .env("GOCACHE", dir.path().join("gocache")));
    let inventory = analyze_tree(&out, "/usr/local/bin");
    let stdlib = inventory
        .packages
        .iter()
        .find(|p| p.name == "stdlib")
        .unwrap();
    let version = stdlib.version.trim_start_matches('v').to_owned();
    assert!(version.starts_with("1.19."), "{version}");

    let found = records_by_package(&inventory);
    let expected = stdlib_records_for(&version);
    eprintln!("go {version}: {} stdlib records", expected.len());
    assert_eq!(found["stdlib"], expected);
    // Debian's bookworm toolchain is go1.19.8.
    assert_eq!((version.as_str(), expected.len()), ("1.19.8", 80));
}
