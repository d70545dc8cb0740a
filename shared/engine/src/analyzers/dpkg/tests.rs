use super::*;

const STATUS_TEXT: &str = "\
Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries.

Package: libgcc-s1
Status: hold ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14+b1

Package: e2fsprogs
Status: deinstall ok config-files
Version: 1.47.0-2

Package: base-files
Status: install ok installed
Version: 12.4+deb12u5
";

#[test]
fn keeps_installed_packages_with_source_name_and_version() {
    let parsed = parse_status(STATUS_TEXT, false);
    assert!(parsed.skipped.is_empty());
    let got: Vec<_> = parsed
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.source_or_name(),
                p.source_version_or_version(),
                p.arch.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "libc6",
                "2.36-9+deb12u4",
                "glibc",
                "2.36-9+deb12u4",
                Some("amd64")
            ),
            (
                "libgcc-s1",
                "12.2.0-14+b1",
                "gcc-12",
                "12.2.0-14",
                Some("amd64")
            ),
            (
                "base-files",
                "12.4+deb12u5",
                "base-files",
                "12.4+deb12u5",
                None
            ),
        ]
    );
    // A source without its own version records none; one without `Source:`
    // records no source at all.
    assert_eq!(parsed.packages[0].source_version, None);
    assert_eq!(parsed.packages[2].source_name, None);
}

#[test]
fn status_d_entries_without_status_are_installed() {
    let text = "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n";
    let parsed = parse_status(text, true);
    assert_eq!(parsed.packages.len(), 1);
    assert_eq!(parsed.packages[0].name, "tzdata");
    assert!(parse_status(text, false).packages.is_empty());
}

#[test]
fn a_package_without_version_is_reported_not_invented() {
    let text = "Package: broken\nStatus: install ok installed\n";
    let parsed = parse_status(text, false);
    assert!(parsed.packages.is_empty());
    assert_eq!(
        parsed.skipped,
        ["line 1: package broken has no Version field"]
    );
}

#[test]
fn wants_status_and_status_d_entries_only() {
    let wants = |path| {
        DpkgAnalyzer.wants(&FileMeta {
            path,
            size: 10,
            mode: 0o644,
        })
    };
    assert!(wants("/var/lib/dpkg/status"));
    assert!(wants("/var/lib/dpkg/status.d/base"));
    assert!(!wants("/var/lib/dpkg/status.d/base.md5sums"));
    assert!(!wants("/var/lib/dpkg/status-old"));
    assert!(!wants("/var/lib/dpkg/status.d/sub/x"));
}

#[test]
fn analyze_reports_skipped_paragraphs_as_warnings() {
    let findings = DpkgAnalyzer
        .analyze(&FileInput {
            path: "/var/lib/dpkg/status",
            contents: b"Package: x\nStatus: install ok installed\n",
        })
        .unwrap();
    assert_eq!(
        findings.warnings,
        ["dpkg: /var/lib/dpkg/status: line 1: package x has no Version field"]
    );
}
