//! A database update is matched against stored inventories without
//! touching a registry: one added advisory for a package in the image
//! opens exactly one issue, and the registry sees zero requests.

use tagwarden_bus::Event;
use tagwarden_bus::events::ScanReason;
use tagwarden_proto::scanner::v1::{GetScanReportRequest, IssueState};

use crate::support::data::add_advisory;
use crate::support::proxy::Proxy;
use crate::support::small::{self, JINJA2_CVE, JINJA2_RECORD, SmallImage, URLLIB3_CVES};
use crate::support::{Harness, Instance, Store, import, quick, scan_request, target_issues};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_new_advisory_opens_one_issue_without_a_registry_request() {
    let mut harness = Harness::new(Store::Sqlite).await;
    let small = SmallImage::push();
    let proxy = Proxy::start(small.registry.host()).await;
    let mut scanner = Instance::start(harness.config("a", quick())).await;
    let osv = small::advisories(harness.dir.path(), "osv", &[JINJA2_RECORD]);
    let first_version = import(&mut scanner.api, &osv).await;

    let request = scan_request(
        "scan-1",
        "target-1",
        &proxy.host(),
        "team/app",
        "v1",
        &small.digest,
    );
    harness.request(&request).await;
    let Event::ScanCompleted(first) = harness.results.of("scan-1").await else {
        panic!("scan-1 failed: {:?}", harness.results.heard());
    };
    assert_eq!(first.new_issues, 3);
    assert_eq!(first.reason(), ScanReason::DigestChanged);
    let before = target_issues(&mut scanner.api, "target-1").await;
    let mut ids: Vec<&str> = before.iter().map(|i| i.vulnerability_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, URLLIB3_CVES);
    let registry_requests = proxy.requests();
    assert!(
        registry_requests.iter().any(|r| r.contains("/manifests/")),
        "{registry_requests:?}"
    );

    add_advisory(&osv, "PyPI", JINJA2_RECORD);
    let second_version = import(&mut scanner.api, &osv).await;
    assert_ne!(first_version, second_version);
    let Event::VulndbUpdated(updated) = harness
        .results
        .wait(|e| matches!(e, Event::VulndbUpdated(u) if u.database_version == second_version))
        .await
    else {
        unreachable!()
    };
    assert_eq!(updated.previous_version, first_version);
    let Event::ScanCompleted(rematch) = harness
        .results
        .wait(|e| matches!(e, Event::ScanCompleted(c) if c.scan_id != "scan-1"))
        .await
    else {
        unreachable!()
    };
    assert_eq!(rematch.target_id, "target-1");
    assert_eq!(rematch.digest, small.digest);
    assert_eq!(rematch.database_version, second_version);
    assert_eq!(rematch.reason(), ScanReason::DatabaseUpdated);
    assert_eq!(
        (
            rematch.new_issues,
            rematch.fixed_issues,
            rematch.reopened_issues
        ),
        (1, 0, 0)
    );

    let after = target_issues(&mut scanner.api, "target-1").await;
    assert_eq!(after.len(), 4);
    let new: Vec<_> = after
        .iter()
        .filter(|i| i.vulnerability_id == JINJA2_CVE)
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].state(), IssueState::Open);
    assert_eq!(new[0].first_seen_scan_id, rematch.scan_id);
    assert_eq!(new[0].package.as_ref().unwrap().name, "Jinja2");
    for old in &before {
        let now = after.iter().find(|i| i.id == old.id).unwrap();
        assert_eq!(now.state(), IssueState::Open);
    }
    // The rematch is a scan with a report of its own.
    let report = scanner
        .api
        .get_scan_report(GetScanReportRequest {
            scan_id: rematch.scan_id.clone(),
            format: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let document: serde_json::Value = serde_json::from_str(&report.document).unwrap();
    assert_eq!(document["findings"].as_array().unwrap().len(), 4);

    // Zero registry requests since the first scan.
    assert_eq!(proxy.requests(), registry_requests);
    scanner.stop().await;
    harness.finish().await;
}
