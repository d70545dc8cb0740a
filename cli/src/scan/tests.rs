use clap::Parser;
use cyclonedx_bom::models::bom::Bom;
use cyclonedx_bom::validation::Validate;
use tagwarden_engine::engine::{ScannedImage, ScannedLayer};
use tagwarden_engine::inventory::{Inventory, OsRelease, Package, PackageKind};

use super::*;

fn package(kind: PackageKind, name: &str, version: &str) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        source_name: None,
        source_version: None,
        arch: None,
        path: "/var/lib/dpkg/status".into(),
        layer: Some("sha256:aa".into()),
    }
}

fn scanned() -> ScannedImage {
    let deb = Package {
        source_name: Some("util-linux".into()),
        arch: Some("amd64".into()),
        ..package(PackageKind::Deb, "bsdutils", "1:2.38.1-5+deb12u3")
    };
    ScannedImage {
        reference: "127.0.0.1:5000/team/app:v1".into(),
        digest: Some("sha256:bb".into()),
        platform: Some("linux/amd64".into()),
        layers: vec![ScannedLayer {
            digest: "sha256:cc".into(),
            diff_id: "sha256:aa".into(),
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
            size: 10,
            from_cache: false,
        }],
        inventory: Inventory {
            os: Some(OsRelease {
                id: "debian".into(),
                version_id: Some("12".into()),
                ..OsRelease::default()
            }),
            packages: vec![
                deb,
                package(PackageKind::Python, "Jinja2", "2.11.2"),
                package(PackageKind::Npm, "@babel/core", "7.0.0"),
            ],
            warnings: vec![],
        },
    }
}

fn args(extra: &[&str]) -> ScanArgs {
    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        scan: ScanArgs,
    }
    let mut argv = vec!["scan", "img"];
    argv.extend(extra);
    Wrapper::parse_from(argv).scan
}

#[test]
fn parses_flags() {
    let a = args(&[
        "--list-packages",
        "--format",
        "cyclonedx",
        "--platform",
        "linux/arm64",
        "--insecure",
    ]);
    assert!(a.list_packages && a.insecure);
    assert_eq!(a.format, ScanFormat::Cyclonedx);
    assert_eq!(a.platform, "linux/arm64");
    assert_eq!(args(&[]).platform, "linux/amd64");
}

#[test]
fn purls_follow_each_ecosystem() {
    let s = scanned();
    let os = s.inventory.os.as_ref();
    let purls: Vec<String> = s
        .inventory
        .packages
        .iter()
        .map(|p| cyclonedx::purl(p, os))
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12",
            "pkg:pypi/jinja2@2.11.2",
            "pkg:npm/%40babel/core@7.0.0",
        ]
    );
}

#[test]
fn cyclonedx_output_is_a_valid_1_5_bom() {
    let text = render(&scanned(), &args(&["--format", "cyclonedx"])).unwrap();
    let bom = Bom::parse_from_json_v1_5(text.as_bytes()).unwrap();
    assert!(bom.validate().passed(), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["specVersion"], "1.5");
    assert_eq!(json["components"].as_array().unwrap().len(), 4);
    assert_eq!(json["components"][0]["type"], "operating-system");
    assert_eq!(
        json["metadata"]["component"]["name"],
        "127.0.0.1:5000/team/app:v1"
    );
}

#[test]
fn table_and_json() {
    let table = render(&scanned(), &args(&["--list-packages"])).unwrap();
    assert!(table.contains("3 (1 deb, 1 npm, 1 python)"), "{table}");
    assert!(table.contains("bsdutils"), "{table}");
    let summary_only = render(&scanned(), &args(&[])).unwrap();
    assert!(!summary_only.contains("bsdutils"));
    let json: serde_json::Value =
        serde_json::from_str(&render(&scanned(), &args(&["--format", "json"])).unwrap()).unwrap();
    assert_eq!(json["inventory"]["packages"][1]["name"], "Jinja2");
}
