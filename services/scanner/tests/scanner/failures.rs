//! A registry outage fails a scan as retryable, a corrupt image as not
//! retryable; either way `scans.failed` says why and no issue changes.

use std::time::Duration;

use tagwarden_bus::Event;
use tagwarden_bus::events::ScanReason;
use tagwarden_proto::scanner::v1::{GetScanReportRequest, Issue};
use tagwarden_scanner::Settings;
use tonic::Code;

use crate::support::data::python_image;
use crate::support::proxy::{Mode, Proxy};
use crate::support::small::{self, SmallImage};
use crate::support::{Harness, Instance, Store, import, scan_request, target_issues};

fn snapshot(issues: &[Issue]) -> Vec<(String, i32, String)> {
    let mut all: Vec<_> = issues
        .iter()
        .map(|i| (i.id.clone(), i.state, i.last_seen_scan_id.clone()))
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_and_a_corrupt_image_fail_and_leave_issues_alone() {
    let mut harness = Harness::new(Store::Sqlite).await;
    let small = SmallImage::push();
    let proxy = Proxy::start(small.registry.host()).await;
    // Long enough for the registry client's own retries to give up first.
    let settings = Settings {
        ack_wait: Duration::from_secs(60),
        scan_timeout: Duration::from_secs(45),
        ..crate::support::quick()
    };
    let mut scanner = Instance::start(harness.config("a", settings)).await;
    let osv = small::advisories(harness.dir.path(), "osv", &[]);
    import(&mut scanner.api, &osv).await;
    let host = proxy.host();
    let scan = |id: &str, repo: &str, digest: &str| {
        scan_request(id, "target-1", &host, repo, "v1", digest)
    };

    harness
        .request(&scan("scan-1", "team/app", &small.digest))
        .await;
    assert!(matches!(
        harness.results.of("scan-1").await,
        Event::ScanCompleted(_)
    ));
    let before = snapshot(&target_issues(&mut scanner.api, "target-1").await);
    assert_eq!(before.len(), 4);

    // The registry answers 503 to everything: retryable.
    proxy.set_mode(Mode::Fail);
    harness
        .request(&scan("scan-2", "team/app", &small.digest))
        .await;
    let Event::ScanFailed(outage) = harness.results.of("scan-2").await else {
        panic!("scan-2 did not fail");
    };
    assert!(outage.retryable, "{outage:?}");
    assert_eq!(outage.reason(), ScanReason::DigestChanged);
    assert!(
        outage.error.contains("could not be downloaded"),
        "{}",
        outage.error
    );
    assert_eq!(
        (outage.target_id.as_str(), outage.digest.as_str()),
        ("target-1", small.digest.as_str())
    );
    assert_eq!(
        snapshot(&target_issues(&mut scanner.api, "target-1").await),
        before
    );
    proxy.set_mode(Mode::Forward);

    // A layer that does not match its digest: not retryable.
    let other = python_image(&[("urllib3", "1.26.5")]);
    other.push(&small.registry, "team/broken:v1");
    small
        .registry
        .corrupt_blob(&SmallImage::layer_digest(&other));
    harness
        .request(&scan("scan-3", "team/broken", &other.digest()))
        .await;
    let Event::ScanFailed(corrupt) = harness.results.of("scan-3").await else {
        panic!("scan-3 did not fail");
    };
    assert!(!corrupt.retryable, "{corrupt:?}");
    assert_eq!(corrupt.reason(), ScanReason::DigestChanged);
    assert!(
        corrupt.error.contains("does not match its digest"),
        "{}",
        corrupt.error
    );
    assert_eq!(
        snapshot(&target_issues(&mut scanner.api, "target-1").await),
        before
    );

    // A failed scan has no report, and says why.
    let status = scanner
        .api
        .get_scan_report(GetScanReportRequest {
            scan_id: "scan-3".into(),
            format: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    scanner.stop().await;
    harness.finish().await;
}
