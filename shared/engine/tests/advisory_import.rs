#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Importing: a directory with a malformed record, a zip, the OSV export
//! downloaded from a local HTTP server, and what an uncovered ecosystem
//! looks like to the matcher.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tagwarden_engine::advisory::{AdvisoryDb, download_export, import};
use tagwarden_engine::inventory::{Inventory, OsRelease, Package, PackageKind};
use tagwarden_engine::matcher::match_inventory;

fn osv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata/osv")
}

/// A few real records: (ecosystem directory, file name).
const REAL: [(&str, &str); 4] = [
    ("PyPI", "PYSEC-2019-217.json"),
    ("PyPI", "PYSEC-2021-66.json"),
    ("Debian", "DSA-4535-1.json"),
    ("Go", "GO-2022-0477.json"),
];

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (dir, name) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(&std::fs::read(osv().join(dir).join(name)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn package(kind: PackageKind, name: &str, version: &str) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        source_name: None,
        source_version: None,
        arch: None,
        path: "/".into(),
        layer: None,
    }
}

#[test]
fn malformed_record_is_skipped_naming_file_and_field_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("osv/PyPI");
    std::fs::create_dir_all(&src).unwrap();
    for (eco, name) in REAL {
        std::fs::copy(osv().join(eco).join(name), src.join(name)).unwrap();
    }
    let bad = src.join("BAD-1.json");
    std::fs::write(
        &bad,
        r#"{"id":"BAD-1","modified":"2024-01-01T00:00:00Z","affected":[
            {"package":{"ecosystem":"PyPI","name":"jinja2"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":["2.11"]}]}]}]}"#,
    )
    .unwrap();
    let db_path = dir.path().join("db.redb");
    let summary = import(&[dir.path().join("osv")], &db_path).unwrap();
    assert_eq!(summary.skipped.len(), 1);
    let skipped = &summary.skipped[0];
    assert_eq!(skipped.file, bad.display().to_string());
    assert_eq!(skipped.field, "affected[0].ranges[0].events[1].fixed");
    assert_eq!(
        skipped.to_string(),
        format!(
            "{}: field affected[0].ranges[0].events[1].fixed: invalid type: sequence, \
             expected a string at line 3 column 81",
            bad.display()
        )
    );
    let status = summary.status;
    assert_eq!((status.advisories, status.skipped_malformed), (4, 1));
    let ecosystems: Vec<(&str, usize)> = status
        .ecosystems
        .iter()
        .map(|(e, c)| (e.as_str(), c.advisories))
        .collect();
    assert_eq!(
        ecosystems,
        [("Debian:10", 1), ("Debian:9", 1), ("Go", 1), ("PyPI", 2)]
    );

    // The rest imported and matches; an ecosystem without data is "not
    // covered", never clean.
    let db = AdvisoryDb::open(&db_path).unwrap();
    assert_eq!(db.status(), &status);
    let inventory = Inventory {
        os: Some(OsRelease {
            id: "alpine".into(),
            version_id: Some("3.18.4".into()),
            ..OsRelease::default()
        }),
        packages: vec![
            package(PackageKind::Apk, "musl", "1.2.4-r1"),
            package(PackageKind::Python, "Jinja2", "2.10"),
            package(PackageKind::Npm, "lodash", "4.17.4"),
        ],
        warnings: Vec::new(),
    };
    let result = match_inventory(&db, &inventory).unwrap();
    let ids: Vec<&str> = result.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2019-10906", "CVE-2020-28493"]);
    assert_eq!(
        result.findings[0].aliases,
        ["GHSA-462w-v97r-4m45", "PYSEC-2019-217"]
    );
    assert_eq!(result.findings[0].fixed_version.as_deref(), Some("2.10.1"));
    assert_eq!(result.findings[0].remediation, "upgrade Jinja2 to 2.10.1");
    let uncovered: Vec<(&str, Option<&str>, &str)> = result
        .not_covered
        .iter()
        .map(|n| {
            (
                n.package.name.as_str(),
                n.ecosystem.as_deref(),
                n.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        uncovered,
        [
            (
                "musl",
                Some("Alpine:v3.18"),
                "the advisory database has no Alpine:v3.18 data"
            ),
            (
                "lodash",
                Some("npm"),
                "the advisory database has no npm data"
            ),
        ]
    );
    assert_eq!(result.packages_checked, 1);
}

#[test]
fn zip_and_directory_of_the_same_records_give_the_same_version() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    std::fs::write(&zip_path, zip_of(&REAL)).unwrap();
    let from_zip = import(&[zip_path], &dir.path().join("a.redb")).unwrap();
    let tree = dir.path().join("tree");
    for (eco, name) in REAL {
        std::fs::create_dir_all(tree.join(eco)).unwrap();
        std::fs::copy(osv().join(eco).join(name), tree.join(eco).join(name)).unwrap();
    }
    let from_dir = import(&[tree], &dir.path().join("b.redb")).unwrap();
    assert_eq!(from_zip.status.version, from_dir.status.version);
    assert_eq!(from_zip.status.advisories, 4);
    // Go records carry zero timestamps; the newest is PYSEC-2019-217.
    let newest = from_zip.status.version.newest_modified.unwrap();
    assert_eq!(newest.to_rfc3339(), "2021-11-22T04:57:52.862665+00:00");
}

/// The stand-in export server's zips by ecosystem, and its request count.
type ExportState = (Arc<HashMap<String, Vec<u8>>>, Arc<AtomicUsize>);

#[tokio::test]
async fn osv_export_is_downloaded_per_ecosystem_with_retries() {
    let files: HashMap<String, Vec<u8>> = HashMap::from([
        ("PyPI".to_owned(), zip_of(&REAL[..2])),
        ("Go".to_owned(), zip_of(&REAL[3..])),
    ]);
    let hits = Arc::new(AtomicUsize::new(0));
    let state = (Arc::new(files), hits.clone());
    let app = axum::Router::new()
        .route(
            "/{ecosystem}/all.zip",
            axum::routing::get(
                |axum::extract::Path(ecosystem): axum::extract::Path<String>,
                 axum::extract::State((files, hits)): axum::extract::State<ExportState>| async move {
                    // The first request fails as an overloaded server would.
                    if hits.fetch_add(1, Ordering::SeqCst) == 0 {
                        return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
                    }
                    files
                        .get(&ecosystem)
                        .cloned()
                        .ok_or(axum::http::StatusCode::NOT_FOUND)
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let ecosystems = ["PyPI".to_owned(), "Go".to_owned()];
    let zips = download_export(&client, &base, &ecosystems, dir.path())
        .await
        .unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    let summary = import(&zips, &dir.path().join("db.redb")).unwrap();
    let names: Vec<&str> = summary
        .status
        .ecosystems
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["Go", "PyPI"]);
    assert_eq!(summary.status.advisories, 3);

    let missing = download_export(&client, &base, &["npm".to_owned()], dir.path()).await;
    let err = missing.unwrap_err().to_string();
    assert_eq!(err, format!("{base}/npm/all.zip: HTTP 404"));
    server.abort();
}
