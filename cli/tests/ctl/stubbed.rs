//! Discovery and scanner commands against stand-ins of those APIs: exact
//! tables, the filters sent, and pages followed up to `--limit`.

use tagwarden_proto::scanner::v1::{IssueState, Severity};

use crate::stubs;
use crate::support::{TOKEN, ctl};

fn env(addr: std::net::SocketAddr) -> Vec<(&'static str, String)> {
    let url = format!("http://{addr}");
    vec![
        ("TAGWARDEN_DISCOVERY_URL", url.clone()),
        ("TAGWARDEN_SCANNER_URL", url),
        ("TAGWARDEN_TOKEN", TOKEN.to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_list_follows_every_page() {
    let stubs = stubs::start().await;
    let env = env(stubs.addr);
    let env = crate::support::pairs(&env);

    let run = ctl(
        &["images", "list", "--targets-only", "--search", "app"],
        &env,
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "IMAGE     ACCOUNT  REGISTRY        TAG  LAST PUSHED              TARGET\n\
         acme/app  local    127.0.0.1:5000  v5   2026-03-01 12:00:00 UTC  yes\n\
         acme/app  local    127.0.0.1:5000  v4   2026-03-01 11:00:00 UTC  yes\n\
         acme/app  local    127.0.0.1:5000  v3   2026-03-01 10:00:00 UTC  no\n\
         acme/app  local    127.0.0.1:5000  v2   2026-03-01 09:00:00 UTC  no\n\
         acme/app  local    127.0.0.1:5000  v1   2026-03-01 08:00:00 UTC  no\n"
    );
    assert_eq!(run.stderr, "");
    let asked = std::mem::take(&mut *stubs.asked.images.lock().unwrap());
    let pages: Vec<(&str, u32)> = asked
        .iter()
        .map(|r| (r.page_token.as_str(), r.page_size))
        .collect();
    assert_eq!(pages, vec![("", 100), ("2", 98), ("4", 96)]);
    assert!(asked.iter().all(|r| r.targets_only && r.search == "app"));

    let limited = ctl(&["images", "list", "--limit", "3", "-o", "json"], &env).await;
    let rows: serde_json::Value = serde_json::from_str(&limited.stdout).unwrap();
    let tags: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, vec!["v5", "v4", "v3"]);
    assert_eq!(
        limited.stderr,
        "showing the first 3; pass --limit N (0 for all) to see more\n"
    );
    let asked = stubs.asked.images.lock().unwrap();
    let sizes: Vec<u32> = asked.iter().map(|r| r.page_size).collect();
    assert_eq!(sizes, vec![3, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_list_refresh_and_remove() {
    let stubs = stubs::start().await;
    let env = env(stubs.addr);
    let env = crate::support::pairs(&env);

    let list = ctl(&["integrations", "list"], &env).await;
    assert_eq!(
        list.stdout,
        "ID   NAME   PROVIDER  ACCOUNT  REGISTRY        LAST SYNC                RESULT  REPOS  TAGS\n\
         i-1  local  oci       -        127.0.0.1:5000  2026-03-01 11:00:00 UTC  ok      1      5\n"
    );
    let refresh = ctl(&["integrations", "refresh", "local"], &env).await;
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    assert_eq!(
        refresh.stdout,
        "synced 1 repositories, 5 tags in 0.250 s; 1 images announced, 0 removed\n"
    );
    let removed = ctl(&["integrations", "remove", "i-1"], &env).await;
    assert_eq!(removed.stdout, "removed integration i-1\n");
    let unknown = ctl(&["integrations", "remove", "nope"], &env).await;
    assert_eq!(unknown.code, Some(1));
    assert_eq!(
        unknown.stderr,
        "error: NOT_FOUND: no integration has the id or name \"nope\"\n"
    );
    let add = ctl(
        &[
            "integrations",
            "add",
            "hub",
            "--provider",
            "oci",
            "--registry",
            "ghcr.io",
            "--setting",
            "repositories=acme/app",
            "-o",
            "json",
        ],
        &env,
    )
    .await;
    let added: serde_json::Value = serde_json::from_str(&add.stdout).unwrap();
    assert_eq!(added[0]["id"], "i-2");
    assert_eq!(added[0]["settings"]["repositories"], "acme/app");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issues_list_sends_the_filters_and_show_explains_one() {
    let stubs = stubs::start().await;
    let env = env(stubs.addr);
    let env = crate::support::pairs(&env);
    let target = "01900000-0000-7000-8000-000000000001";

    let args = [
        "issues",
        "list",
        "--target",
        target,
        "--severity",
        "critical,high",
        "--state",
        "open",
        "--package",
        "libssl3",
        "--vuln",
        "CVE-2024-5535",
    ];
    let run = ctl(&args, &env).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "ID    VULNERABILITY  SEVERITY  PACKAGE  INSTALLED         FIXED IN          STATE\n\
         is-1  CVE-2023-4911  high      libc6    2.36-9            2.36-9+deb12u3    open\n\
         is-2  CVE-2024-0001  low       zlib1g   1:1.2.13          no fix            open\n\
         is-3  CVE-2024-5535  critical  libssl3  3.0.11-1~deb12u2  3.0.15-1~deb12u1  fixed\n"
    );
    let asked = stubs.asked.issues.lock().unwrap().clone();
    assert_eq!(asked.len(), 2);
    let first = &asked[0];
    assert_eq!(first.target_id, target);
    assert_eq!(
        first.severities,
        vec![Severity::Critical as i32, Severity::High as i32]
    );
    assert_eq!(first.state, IssueState::Open as i32);
    assert_eq!(
        (first.package.as_str(), first.vulnerability_id.as_str()),
        ("libssl3", "CVE-2024-5535")
    );
    assert_eq!(asked[1].page_token, "2");

    let show = ctl(&["issues", "show", "is-3", "-o", "json"], &env).await;
    let issue: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(issue["state"], "fixed");
    assert_eq!(issue["fixed_by_scan_id"], "s-2");
    assert_eq!(issue["package"]["type"], "deb");
    let missing = ctl(&["issues", "show", "is-9"], &env).await;
    assert_eq!(missing.stderr, "error: NOT_FOUND: no issue is-9\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vulndb_without_db_asks_the_scanner() {
    let stubs = stubs::start().await;
    let env = env(stubs.addr);
    let env = crate::support::pairs(&env);

    let status = ctl(&["vulndb", "status"], &env).await;
    assert_eq!(status.code, Some(0), "{}", status.stderr);
    assert_eq!(
        status.stdout,
        "version     osv-1\n\
         imported    2026-03-01 09:00:00 UTC\n\
         advisories  1234\n\
         ecosystems  Debian\n"
    );
    let import = ctl(
        &[
            "vulndb",
            "import",
            "https://osv.test/export.zip",
            "--output",
            "json",
        ],
        &env,
    )
    .await;
    assert_eq!(import.code, Some(0), "{}", import.stderr);
    let imported: serde_json::Value = serde_json::from_str(&import.stdout).unwrap();
    assert_eq!(imported["version"], "https://osv.test/export.zip");
    assert_eq!(imported["advisory_count"], 1234);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagwarden_vulndb_makes_import_and_status_local() {
    let stubs = stubs::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = env(stubs.addr);
    env.push((
        "TAGWARDEN_VULNDB",
        dir.path().join("v.redb").display().to_string(),
    ));
    let env = crate::support::pairs(&env);
    let npm = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vulndata/osv/npm");

    let import = ctl(&["vulndb", "import", npm], &env).await;
    assert_eq!(import.code, Some(0), "{}", import.stderr);
    assert!(import.stderr.starts_with("imported "), "{}", import.stderr);
    let status = ctl(&["vulndb", "status"], &env).await;
    assert_eq!(status.code, Some(0), "{}", status.stderr);
    assert!(status.stdout.starts_with("version:"), "{}", status.stdout);
    assert!(status.stdout.contains("\nnpm "), "{}", status.stdout);
}
