//! Distribution identity rules on real records: Ubuntu with and without
//! `:LTS`, Alpine origins, AlmaLinux EVRs and module builds.

use tagwarden_engine::inventory::{Inventory, OsRelease, Package, PackageKind};
use tagwarden_engine::matcher::match_inventory;

use super::support::database;

fn image(id: &str, version: &str, packages: Vec<Package>) -> Inventory {
    Inventory {
        os: Some(OsRelease {
            id: id.into(),
            version_id: Some(version.into()),
            ..OsRelease::default()
        }),
        packages,
        warnings: Vec::new(),
    }
}

fn package(kind: PackageKind, name: &str, version: &str, source: Option<&str>) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        source_name: source.map(str::to_owned),
        source_version: None,
        arch: None,
        path: "/".into(),
        layer: None,
    }
}

/// (package, id, fixed) of every finding.
fn findings(inventory: &Inventory) -> Vec<(String, String, Option<String>)> {
    let result = match_inventory(database(), inventory).unwrap();
    assert!(result.not_covered.is_empty(), "{:?}", result.not_covered);
    result
        .findings
        .into_iter()
        .map(|f| (f.package.name, f.id, f.fixed_version))
        .collect()
}

fn row(p: &str, id: &str, fixed: &str) -> (String, String, Option<String>) {
    (p.into(), id.into(), Some(fixed.into()))
}

#[test]
fn ubuntu_lts_records_match_an_image_that_says_22_04() {
    let deb = PackageKind::Deb;
    let inventory = image(
        "ubuntu",
        "22.04",
        vec![
            package(deb, "libssl3", "3.0.2-0ubuntu1.7", Some("openssl")),
            package(deb, "openssh-client", "1:8.9p1-3ubuntu0.6", Some("openssh")),
        ],
    );
    assert_eq!(
        findings(&inventory),
        [
            row("libssl3", "USN-5844-1", "3.0.2-0ubuntu1.8"),
            row(
                "openssh-client",
                "UBUNTU-CVE-2024-6387",
                "1:8.9p1-3ubuntu0.10"
            ),
        ]
    );
    let fixed = image(
        "ubuntu",
        "22.04",
        vec![package(
            deb,
            "openssh-client",
            "1:8.9p1-3ubuntu0.10",
            Some("openssh"),
        )],
    );
    assert_eq!(findings(&fixed), []);
}

#[test]
fn alpine_packages_match_through_their_origin() {
    // Trivy's alpine-310 golden: libcrypto1.1 1.1.1c-r0 → CVE-2019-1549,
    // fixed in 1.1.1d-r0.
    let apk = PackageKind::Apk;
    let inventory = image(
        "alpine",
        "3.10.2",
        vec![package(apk, "libcrypto1.1", "1.1.1c-r0", Some("openssl"))],
    );
    let found = findings(&inventory);
    assert!(
        found.contains(&row("libcrypto1.1", "ALPINE-CVE-2019-1549", "1.1.1d-r0")),
        "{found:?}"
    );
    assert!(found.iter().all(|(_, id, _)| id.starts_with("ALPINE-CVE-")));
}

#[test]
fn almalinux_epochs_and_module_builds() {
    let rpm = PackageKind::Rpm;
    // ALBA-2019:0973 lists oci-systemd-hook once per module platform build.
    let build = |platform: &str| format!("1:0.1.15-2.git2d0b8a3.module_el8.{platform}");
    let older = image(
        "almalinux",
        "8.3",
        vec![package(rpm, "oci-systemd-hook", &build("3.0+2000+1"), None)],
    );
    let found = findings(&older);
    let alba: Vec<_> = found
        .iter()
        .filter(|(_, id, _)| id == "ALBA-2019:0973")
        .collect();
    assert_eq!(
        alba,
        [&row(
            "oci-systemd-hook",
            "ALBA-2019:0973",
            &build("3.0+2044+12421f43")
        )]
    );
    // The 8.3 build of the fix is not reported against the 8.5 build.
    let current = image(
        "almalinux",
        "8.3",
        vec![package(
            rpm,
            "oci-systemd-hook",
            &build("3.0+2044+12421f43"),
            None,
        )],
    );
    assert!(
        findings(&current)
            .iter()
            .all(|(_, id, _)| id != "ALBA-2019:0973")
    );
    // Without an epoch, 0.1.15 sorts below the epoch-1 fix.
    let no_epoch = image(
        "almalinux",
        "8.3",
        vec![package(rpm, "oci-systemd-hook", "9.9-1.el8", None)],
    );
    assert!(
        findings(&no_epoch)
            .iter()
            .any(|(_, id, _)| id == "ALBA-2019:0973")
    );
}
