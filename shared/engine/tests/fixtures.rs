//! The analyzers against real package databases from
//! `../shared/vulndata/fixtures`, each checked against an independent
//! reading: dpkg-query itself for the dpkg status, the file's own blocks
//! for apk, and the OS release files of osv-scanner's Alpine image.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;
use tagwarden_engine::analyzer::{Analyzer, FileInput};
use tagwarden_engine::analyzers::{ApkAnalyzer, DpkgAnalyzer, OsReleaseAnalyzer};

/// The single member of Trivy's `dpkg/valid.txtar`: an Ubuntu 18.04
/// `/var/lib/dpkg/status`.
fn txtar_status() -> Vec<u8> {
    let txtar =
        std::fs::read_to_string(vulndata().join("fixtures/trivy/analyzer/dpkg/valid.txtar"))
            .unwrap();
    let (_, member) = txtar
        .split_once("-- var/lib/dpkg/status --\n")
        .expect("status member");
    assert!(!member.contains("\n-- "), "more than one txtar member");
    member.as_bytes().to_vec()
}

#[test]
fn dpkg_status_fixture_equals_dpkg_query() {
    let status = txtar_status();
    let paragraphs = String::from_utf8_lossy(&status)
        .matches("\nPackage: ")
        .count()
        + 1;
    assert_eq!(paragraphs, 91, "the fixture's package paragraphs");
    let findings = DpkgAnalyzer
        .analyze(&FileInput {
            path: "/var/lib/dpkg/status",
            contents: &status,
        })
        .unwrap();
    // 90 installed; `deinstall ok config-files` is not on disk.
    assert_eq!(findings.packages.len(), 90);
    let inventory = tagwarden_engine::inventory::Inventory {
        packages: findings.packages,
        ..Default::default()
    };
    let ours = dpkg_lines(&inventory);
    for line in [
        "fdisk 2.31.1-0.4ubuntu3.1 util-linux 2.31.1-0.4ubuntu3.1",
        "liblzma5 5.1.1alpha+20120614-2+b3 xz-utils 5.1.1alpha+20120614-2",
        "libgcc1 1:8-20180414-1ubuntu2 gcc-8 8-20180414-1ubuntu2",
        "libustr-1.0-1 1.0.4-3+b2 ustr 1.0.4-3",
        "bash 4.4.18-2ubuntu1 bash 4.4.18-2ubuntu1",
    ] {
        assert!(ours.iter().any(|l| l == line), "missing {line:?}");
    }

    if !have_tools(&["dpkg-query"]) {
        return;
    }
    let admin = tempfile::tempdir().unwrap();
    std::fs::write(admin.path().join("status"), &status).unwrap();
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.path().display()))
        .args([
            "-W",
            "-f",
            "${db:Status-Status} ${Package} ${Version} ${source:Package} ${source:Version}\n",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(all.len(), 91);
    let mut installed: Vec<String> = all
        .iter()
        .filter_map(|l| l.strip_prefix("installed ").map(str::to_owned))
        .collect();
    installed.sort();
    assert_eq!(ours, installed);
}

#[test]
fn apk_installed_fixture_gives_its_exact_list() {
    let installed =
        std::fs::read(vulndata().join("fixtures/trivy/analyzer/apk/installed")).unwrap();
    let findings = ApkAnalyzer
        .analyze(&FileInput {
            path: "/lib/apk/db/installed",
            contents: &installed,
        })
        .unwrap();
    let got: Vec<String> = findings
        .packages
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p.name,
                p.version,
                p.source_name.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "musl 1.1.14-r10 musl",
            "busybox 1.24.2-r9 busybox",
            "alpine-baselayout 3.0.3-r0 alpine-baselayout",
            "alpine-keys 1.1-r0 alpine-keys",
            "zlib 1.2.8-r2 zlib",
            "libcrypto1.0 1.0.2h-r1 openssl",
            "libssl1.0 1.0.2h-r1 openssl",
            "apk-tools 2.6.7-r0 apk-tools",
            "scanelf 1.1.6-r0 pax-utils",
            "musl-utils 1.1.14-r10 musl",
            "libc-utils 0.7-r0 libc-dev",
            "pkgconf 1.6.0-r0 pkgconf",
            "sqlite-libs 3.26.0-r3 sqlite",
            "test 2.9.11_pre20061021-r2 test-parent",
            "ada-libs 2.7.4-r0 ada",
        ]
    );
    // The 16th block names a package without a version: reported, not
    // invented.
    assert_eq!(
        findings.warnings,
        [
            "apk: /lib/apk/db/installed: line 23: package block without a version \
          (P:invalidPackageWithoutAVersion)"
        ]
    );
}

#[test]
fn alpine_3_18_release_files() {
    let dir = vulndata().join("fixtures/osv-scanner/image-testdata");
    let read = |path: &str, file: &str| {
        let contents = std::fs::read(dir.join(file)).unwrap();
        OsReleaseAnalyzer
            .analyze(&FileInput {
                path,
                contents: &contents,
            })
            .unwrap()
            .os
            .unwrap()
    };
    // The os-release copy starts with a shell prompt line; it is ignored.
    let os = read("/etc/os-release", "alpine-3.18-os-release");
    assert_eq!(os.id, "alpine");
    assert_eq!(os.version_id.as_deref(), Some("3.18.1"));
    assert_eq!(os.pretty_name.as_deref(), Some("Alpine Linux v3.18"));
    let fallback = read("/etc/alpine-release", "alpine-3.18-alpine-release");
    assert_eq!(
        (fallback.id.as_str(), fallback.version_id.as_deref()),
        ("alpine", Some("3.18.1"))
    );
}
