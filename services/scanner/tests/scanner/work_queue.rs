//! Two scanner instances on one work queue and one PostgreSQL database:
//! twenty requests, each scanned exactly once (one result each, one
//! manifest pull each), every target with its own issues.

use std::collections::HashMap;

use async_nats::jetstream::consumer::PullConsumer;
use tagwarden_bus::{Event, Stream};
use tagwarden_proto::scanner::v1::ListIssuesRequest;
use tagwarden_scanner::{SCAN_REQUESTS_CONSUMER, Settings};

use crate::support::proxy::Proxy;
use crate::support::small::{self, SmallImage};
use crate::support::{Harness, Instance, Store, eventually, import, issues, quick, scan_request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_twenty_requests_and_scan_each_once() {
    let mut harness = Harness::new(Store::Postgres).await;
    let small = SmallImage::push();
    let proxy = Proxy::start(small.registry.host()).await;
    let settings = || Settings {
        concurrency: 2,
        ..quick()
    };
    let mut a = Instance::start(harness.config("a", settings())).await;
    let b = Instance::start(harness.config("b", settings())).await;
    let osv = small::advisories(harness.dir.path(), "osv", &[]);
    import(&mut a.api, &osv).await;

    let ids: Vec<String> = (0..20).map(|n| format!("scan-{n:02}")).collect();
    for (n, id) in ids.iter().enumerate() {
        let target = format!("target-{n:02}");
        let request = scan_request(id, &target, &proxy.host(), "team/app", "v1", &small.digest);
        harness.request(&request).await;
    }
    for id in &ids {
        assert!(
            matches!(harness.results.of(id).await, Event::ScanCompleted(_)),
            "{id}"
        );
    }
    // Nothing left in flight anywhere, so no late second run can come.
    let stream = harness.bus.namespace().stream(Stream::Scans);
    eventually("the work queue to drain", || async {
        let stream = harness.bus.jetstream().get_stream(&stream).await.unwrap();
        let mut consumer: PullConsumer = stream.get_consumer(SCAN_REQUESTS_CONSUMER).await.unwrap();
        let info = consumer.info().await.unwrap();
        info.num_pending == 0 && info.num_ack_pending == 0
    })
    .await;

    let per_scan = harness.results.per_scan();
    let expected: HashMap<String, usize> = ids.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(per_scan, expected);
    let manifest_pulls = proxy
        .requests()
        .iter()
        .filter(|line| line.starts_with("GET ") && line.contains("/manifests/"))
        .count();
    assert_eq!(manifest_pulls, 20, "{:#?}", proxy.requests());
    let all = issues(&mut a.api, ListIssuesRequest::default()).await;
    assert_eq!(all.len(), 20 * 4);
    for id in &ids {
        let request = ListIssuesRequest {
            scan_id: id.clone(),
            ..ListIssuesRequest::default()
        };
        assert_eq!(issues(&mut a.api, request).await.len(), 4, "{id}");
    }
    a.stop().await;
    b.stop().await;
    harness.finish().await;
}
