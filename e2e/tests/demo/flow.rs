//! The demo flow of `infra/local/up.sh`, asserted: real images pushed,
//! discovered, targeted and scanned; exact issues; a fixed image pushed
//! under a tag the rule matches; exactly urllib3's issues marked fixed;
//! licence counts; a deleted target keeping its history.

use std::collections::BTreeSet;
use std::time::Duration;

use tagwarden_proto::discovery::v1::{AddIntegrationRequest, RefreshRequest};
use tagwarden_proto::events::v1::ScanReason;
use tagwarden_proto::licensing::v1::{
    AddTargetsRequest, DeleteTargetRequest, GetUsageRequest, ListTargetsRequest, Target, Usage,
};
use tagwarden_proto::scanner::v1::{ImportDatabaseRequest, Issue, IssueState, ListIssuesRequest};
use tagwarden_proto::scheduler::v1::{ListScansRequest, Scan, ScanStatus};
use tonic::Code;

use crate::expected::{APP_ISSUES, Expected, FIXED_BY_UPGRADE, STRETCH_SAMPLE};
use crate::images;
use crate::stack::{POOL_SIZE, Stack, eventually};

/// How long a registry sync, a bus hop or a scan (debug build, a 63 MB
/// base layer) may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_flow_finds_exact_issues_and_marks_the_upgrade_fixed() {
    let mut stack = Stack::start().await;
    let host = stack.host();
    import_advisories(&mut stack).await;
    let pushed = images::push(
        &host,
        &[
            ("bookworm-app", "demo/app:production-1"),
            ("stretch-postgres", "demo/stretch:latest"),
        ],
    );
    connect_registry(&mut stack, &host).await;

    let app = add_target(&mut stack, &format!("{host}/demo/app"), "production-*").await;
    let stretch = add_target(&mut stack, &format!("{host}/demo/stretch"), "latest").await;
    assert_eq!(app.name, "demo/app:production-*");
    assert_eq!(stretch.name, "demo/stretch:latest");
    assert_usage(&usage(&mut stack).await, 2, &[]);

    // The first scans: exact issues for the app, the hinted ones for stretch.
    let first = completed_scan(&stack, &app.id, "production-1").await;
    assert_eq!(first.digest, pushed[0]);
    assert_eq!(first.reason, ScanReason::TargetCreated as i32);
    let before = issues(&stack, &app.id).await;
    assert!(
        before.iter().all(|i| state(i) == IssueState::Open),
        "{before:#?}"
    );
    assert_eq!(keys(&before), expected_keys(APP_ISSUES.iter()));
    assert_records_named(&before);
    assert_eq!(first.new_issues as usize, APP_ISSUES.len());
    let stretch_scan = completed_scan(&stack, &stretch.id, "latest").await;
    assert_eq!(stretch_scan.digest, pushed[1]);
    let stretch_issues = issues(&stack, &stretch.id).await;
    let stretch_ids: BTreeSet<&str> = stretch_issues.iter().flat_map(all_ids).collect();
    for id in STRETCH_SAMPLE {
        assert!(
            stretch_ids.contains(id),
            "{id} missing from {stretch_ids:?}"
        );
    }

    // The tag moves: a newer tag the rule matches, with urllib3 upgraded.
    let fixed_digest = images::push(&host, &[("bookworm-app-fixed", "demo/app:production-2")]);
    let rescan = completed_scan(&stack, &app.id, "production-2").await;
    assert_eq!(rescan.digest, fixed_digest[0]);
    assert_eq!(rescan.reason, ScanReason::DigestChanged as i32);
    assert_eq!((rescan.fixed_issues, rescan.new_issues), (3, 0));
    let after = issues(&stack, &app.id).await;
    let (fixed, open): (Vec<&Issue>, Vec<&Issue>) =
        after.iter().partition(|i| state(i) == IssueState::Fixed);
    let fixed_ids: BTreeSet<&str> = fixed.iter().map(|i| vulnerability(i)).collect();
    assert_eq!(fixed_ids, FIXED_BY_UPGRADE.iter().copied().collect());
    for issue in &fixed {
        assert_eq!(issue.fixed_by_scan_id, rescan.id, "{issue:#?}");
        assert!(issue.fixed_at.is_some(), "{issue:#?}");
    }
    let still_open = APP_ISSUES
        .iter()
        .filter(|e| !FIXED_BY_UPGRADE.contains(&e.cve));
    assert_eq!(keys(open.iter().copied()), expected_keys(still_open));
    assert!(
        open.iter().all(|i| state(i) == IssueState::Open),
        "{open:#?}"
    );
    // The same issues, not new ones: identity survives the new digest.
    let ids = |list: &[Issue]| list.iter().map(|i| i.id.clone()).collect::<BTreeSet<_>>();
    assert_eq!(ids(&after), ids(&before));

    delete_keeps_history(&mut stack, &stretch, &stretch_scan, stretch_issues.len()).await;
    stack.stop().await;
}

async fn import_advisories(stack: &mut Stack) {
    let source = images::advisories().display().to_string();
    let status = stack
        .scanner
        .import_database(ImportDatabaseRequest { source })
        .await
        .expect("the advisory import succeeds")
        .into_inner();
    assert!(status.advisory_count > 20_000, "{status:?}");
    assert!(!status.version.is_empty(), "{status:?}");
}

async fn connect_registry(stack: &mut Stack, host: &str) {
    let request = AddIntegrationRequest {
        name: "local".into(),
        provider: "oci".into(),
        registry: host.to_owned(),
        ..Default::default()
    };
    let integration = stack.discovery.add_integration(request).await.unwrap();
    let integration_id = integration.into_inner().id;
    let sync = stack
        .discovery
        .refresh(RefreshRequest { integration_id })
        .await
        .unwrap()
        .into_inner();
    assert!(sync.ok, "{sync:?}");
    assert_eq!((sync.repositories, sync.tags), (2, 2), "{sync:?}");
}

/// Adds one target; waits while licensing has not yet heard from
/// discovery (the news travels over the bus), fails on any other refusal.
async fn add_target(stack: &mut Stack, image: &str, rule: &str) -> Target {
    let request = AddTargetsRequest {
        image: image.to_owned(),
        rules: vec![rule.to_owned()],
    };
    let what = format!("licensing to accept {image} --rule {rule}");
    let licensing = stack.licensing.clone();
    let mut added = eventually(stack, &what, PATIENCE, || {
        let (mut licensing, request) = (licensing.clone(), request.clone());
        async move {
            match licensing.add_targets(request).await {
                Ok(added) => Some(added.into_inner().targets),
                Err(status) if status.code() == Code::NotFound => None,
                Err(status) => panic!("adding {image} --rule {rule}: {status:?}"),
            }
        }
    })
    .await;
    assert_eq!(added.len(), 1);
    added.remove(0)
}

async fn usage(stack: &mut Stack) -> Usage {
    stack
        .licensing
        .get_usage(GetUsageRequest {})
        .await
        .unwrap()
        .into_inner()
}

/// Pool, seats in use, locked seats by target name, and the free rest.
fn assert_usage(usage: &Usage, in_use: u32, locked: &[&str]) {
    let names: Vec<&str> = usage
        .locked
        .iter()
        .map(|s| s.target_name.as_str())
        .collect();
    assert_eq!(
        (usage.pool_size, usage.in_use, names, usage.free),
        (
            POOL_SIZE,
            in_use,
            locked.to_vec(),
            POOL_SIZE - in_use - locked.len() as u32
        ),
        "{usage:?}"
    );
}

/// The completed scan of `target_id` for `tag`, once there is one. Any
/// failed scan fails the test at once with the scanner's words: on these
/// images nothing may fail.
async fn completed_scan(stack: &Stack, target_id: &str, tag: &str) -> Scan {
    let what = format!("a completed scan of {tag} (target {target_id})");
    let scheduler = stack.scheduler.clone();
    eventually(stack, &what, PATIENCE, || {
        let mut scheduler = scheduler.clone();
        async move {
            let request = ListScansRequest {
                target_id: target_id.to_owned(),
                page_size: 100,
                ..Default::default()
            };
            let scans = scheduler
                .list_scans(request)
                .await
                .unwrap()
                .into_inner()
                .scans;
            if let Some(failed) = scans.iter().find(|s| s.status == ScanStatus::Failed as i32) {
                panic!(
                    "scan {} of {} failed: {}",
                    failed.id, failed.tag, failed.error
                );
            }
            scans
                .into_iter()
                .find(|s| s.tag == tag && s.status == ScanStatus::Completed as i32)
        }
    })
    .await
}

/// Every issue of a target, whatever its state, all pages.
async fn issues(stack: &Stack, target_id: &str) -> Vec<Issue> {
    let mut scanner = stack.scanner.clone();
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = ListIssuesRequest {
            target_id: target_id.to_owned(),
            page_size: 500,
            page_token,
            ..Default::default()
        };
        let page = scanner.list_issues(request).await.unwrap().into_inner();
        all.extend(page.issues);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

/// Deleting a target frees no seat at once (it is locked), stops nothing
/// already recorded, and keeps its scans and issues readable.
async fn delete_keeps_history(stack: &mut Stack, target: &Target, scan: &Scan, issues: usize) {
    let request = DeleteTargetRequest {
        id: target.id.clone(),
    };
    let deleted = stack
        .licensing
        .delete_target(request)
        .await
        .unwrap()
        .into_inner();
    assert!(deleted.seat_locked_until.is_some(), "{deleted:?}");
    assert_usage(&usage(stack).await, 1, &["demo/stretch:latest"]);

    let listed = stack
        .licensing
        .list_targets(ListTargetsRequest {
            include_deleted: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .targets;
    let gone = listed.iter().find(|t| t.id == target.id).expect("listed");
    assert!(gone.deleted_at.is_some(), "{gone:?}");

    let request = ListScansRequest {
        target_id: target.id.clone(),
        ..Default::default()
    };
    let scans = stack
        .scheduler
        .list_scans(request)
        .await
        .unwrap()
        .into_inner();
    assert!(scans.scans.iter().any(|s| s.id == scan.id), "{scans:?}");
    assert_eq!(self::issues(stack, &target.id).await.len(), issues);
}

fn state(issue: &Issue) -> IssueState {
    IssueState::try_from(issue.state).unwrap_or_default()
}

fn vulnerability(issue: &Issue) -> &str {
    &issue.vulnerability_id
}

/// The issue's vulnerability id and its aliases.
fn all_ids(issue: &Issue) -> impl Iterator<Item = &str> {
    let aliases = issue.aliases.iter().map(String::as_str);
    std::iter::once(issue.vulnerability_id.as_str()).chain(aliases)
}

/// `(vulnerability, package name in lower case, installed version)`,
/// counted: minimist's two locations give the same key twice.
fn keys<'a>(issues: impl IntoIterator<Item = &'a Issue>) -> Vec<(String, String, String)> {
    let mut keys: Vec<_> = issues
        .into_iter()
        .map(|issue| {
            let package = issue.package.clone().unwrap_or_default();
            (
                issue.vulnerability_id.clone(),
                package.name.to_ascii_lowercase(),
                package.installed_version,
            )
        })
        .collect();
    keys.sort();
    keys
}

fn expected_keys<'a>(
    expected: impl Iterator<Item = &'a Expected>,
) -> Vec<(String, String, String)> {
    let mut keys: Vec<_> = expected
        .map(|e| (e.cve.to_owned(), e.package.to_owned(), e.version.to_owned()))
        .collect();
    keys.sort();
    keys
}

/// Each issue names the OSV record that matched among its aliases.
fn assert_records_named(issues: &[Issue]) {
    for issue in issues {
        let name = issue.package.as_ref().map(|p| p.name.to_ascii_lowercase());
        let expected = APP_ISSUES
            .iter()
            .find(|e| e.cve == issue.vulnerability_id && Some(e.package) == name.as_deref())
            .unwrap_or_else(|| panic!("unexpected issue {issue:#?}"));
        assert!(
            issue.aliases.iter().any(|a| a == expected.record),
            "{} should list {} among its aliases: {:?}",
            issue.vulnerability_id,
            expected.record,
            issue.aliases
        );
    }
}
