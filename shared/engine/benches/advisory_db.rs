//! The advisory database's costs: importing all of `../shared/vulndata/osv`
//! (goal ≤ 20 s), opening the file (goal ≤ 100 ms), and matching inventories
//! (goal ≤ 5 ms): this machine's own bookworm package set (as Debian 12,
//! which the data does not cover, and relabelled Debian 10, which it does),
//! and a 2,000-package image mixing those debs with language packages at
//! old versions, most of them vulnerable.
//!
//! Criterion does not measure peak memory. The CLI runs the same import
//! and matcher, so GNU time's "Maximum resident set size" is the figure
//! (from the repository root, with `../shared/vulndata/osv` next to the
//! clone):
//!
//! ```text
//! cargo build --release -p tagwardenctl
//! /usr/bin/time -v "${CARGO_TARGET_DIR:-target}/release/tagwardenctl" \
//!     vulndb import ../shared/vulndata/osv --db /tmp/osv.redb
//! /usr/bin/time -v "${CARGO_TARGET_DIR:-target}/release/tagwardenctl" \
//!     scan IMAGE --db /tmp/osv.redb
//! ```
//!
//! The second includes the scan of IMAGE; compare with the same scan
//! without `--db` for what the matching adds.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tagwarden_engine::advisory::{AdvisoryDb, import};
use tagwarden_engine::analyzer::{Analyzer, FileInput};
use tagwarden_engine::analyzers::{DpkgAnalyzer, OsReleaseAnalyzer};
use tagwarden_engine::inventory::{Inventory, Package, PackageKind};
use tagwarden_engine::matcher::match_inventory;

fn osv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata/osv")
}

/// This machine's dpkg status and os-release (a Debian 12 host).
fn bookworm() -> Inventory {
    let status = std::fs::read("/var/lib/dpkg/status").expect("a Debian host");
    let os_release = std::fs::read("/etc/os-release").unwrap();
    let packages = DpkgAnalyzer
        .analyze(&FileInput {
            path: "/var/lib/dpkg/status",
            contents: &status,
        })
        .unwrap()
        .packages;
    let os = OsReleaseAnalyzer
        .analyze(&FileInput {
            path: "/etc/os-release",
            contents: &os_release,
        })
        .unwrap()
        .os;
    Inventory {
        os,
        packages,
        warnings: Vec::new(),
    }
}

fn relabelled(mut inventory: Inventory, version_id: &str) -> Inventory {
    if let Some(os) = inventory.os.as_mut() {
        os.version_id = Some(version_id.into());
    }
    inventory
}

/// Language packages named by real records, at an old version.
fn language_packages(count: usize) -> Vec<Package> {
    let kinds = [
        ("PyPI", PackageKind::Python, "1.0"),
        ("Go", PackageKind::Go, "v0.1.0"),
        ("Rust", PackageKind::Cargo, "0.1.0"),
        ("RubyGems", PackageKind::Gem, "1.0.0"),
    ];
    let mut out = Vec::new();
    for (dir, kind, version) in kinds {
        let mut names: Vec<String> = std::fs::read_dir(osv().join(dir))
            .unwrap()
            .filter_map(|f| {
                let raw = std::fs::read(f.unwrap().path()).unwrap();
                let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
                json["affected"][0]["package"]["name"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        names.sort();
        names.dedup();
        out.extend(
            names
                .into_iter()
                .take(count / kinds.len() + 1)
                .map(|name| Package {
                    kind,
                    name,
                    version: version.into(),
                    source_name: None,
                    source_version: None,
                    arch: None,
                    path: "/app".into(),
                    layer: None,
                }),
        );
    }
    out.truncate(count);
    out
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("osv.redb");

    let mut group = c.benchmark_group("import");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("all of shared/vulndata/osv", |b| {
        b.iter(|| import(&[osv()], &db_path).unwrap())
    });
    group.finish();
    if !db_path.exists() {
        import(&[osv()], &db_path).unwrap();
    }
    let size = std::fs::metadata(&db_path).unwrap().len();
    eprintln!("database file: {:.1} MiB", size as f64 / 1048576.0);

    c.bench_function("open", |b| b.iter(|| AdvisoryDb::open(&db_path).unwrap()));

    let db = AdvisoryDb::open(&db_path).unwrap();
    let bookworm = bookworm();
    let as_buster = relabelled(bookworm.clone(), "10");
    let mut mixed = as_buster.clone();
    let languages = 2000 - mixed.packages.len();
    mixed.packages.extend(language_packages(languages));
    for (name, inventory) in [
        ("bookworm", &bookworm),
        ("bookworm as buster", &as_buster),
        ("2000 mixed", &mixed),
    ] {
        let result = match_inventory(&db, inventory).unwrap();
        eprintln!(
            "{name}: {} packages, {} checked, {} findings, {} not covered",
            inventory.packages.len(),
            result.packages_checked,
            result.findings.len(),
            result.not_covered.len()
        );
    }
    let mut group = c.benchmark_group("match");
    group.bench_function("bookworm (Debian 12, not covered)", |b| {
        b.iter(|| match_inventory(&db, &bookworm).unwrap())
    });
    group.bench_function("bookworm packages as Debian 10", |b| {
        b.iter(|| match_inventory(&db, &as_buster).unwrap())
    });
    group.bench_function("2000 packages, debs and languages", |b| {
        b.iter(|| match_inventory(&db, &mixed).unwrap())
    });
    group.finish();
}

criterion_group!(advisory_db, benches);
criterion_main!(advisory_db);
