//! A scanner killed in the middle of a scan: the request was never acked,
//! so JetStream hands it to the next instance, which completes it; the
//! scan has one result and its findings once. A request delivered again
//! after its scan finished does nothing.

use async_nats::jetstream::consumer::PullConsumer;
use prost::Message as _;
use tagwarden_bus::{Event, Stream, Subject};
use tagwarden_proto::scanner::v1::{GetScanReportRequest, ListIssuesRequest};

use crate::support::proxy::{Mode, Proxy};
use crate::support::small::{self, SmallImage};
use crate::support::{Harness, Instance, Store, eventually, import, issues, quick, scan_request};

async fn findings_of(api: &mut crate::support::Api, scan_id: &str) -> usize {
    let request = GetScanReportRequest {
        scan_id: scan_id.into(),
        format: 0,
    };
    let report = api.get_scan_report(request).await.unwrap().into_inner();
    let document: serde_json::Value = serde_json::from_str(&report.document).unwrap();
    document["findings"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_killed_midway_is_redelivered_and_completed_once() {
    let mut harness = Harness::new(Store::Sqlite).await;
    let small = SmallImage::push();
    let proxy = Proxy::start(small.registry.host()).await;
    let first = Instance::start(harness.config("a", quick())).await;
    let mut api = first.api.clone();
    let osv = small::advisories(harness.dir.path(), "osv", &[]);
    import(&mut api, &osv).await;

    // The registry hangs: the scan is in flight when the instance dies.
    proxy.set_mode(Mode::Stall);
    let request = scan_request(
        "scan-1",
        "target-1",
        &proxy.host(),
        "team/app",
        "v1",
        &small.digest,
    );
    let envelope = harness.request(&request).await;
    eventually("the scan to reach the registry", || async {
        proxy.connections() > 0
    })
    .await;
    first.kill().await;
    proxy.set_mode(Mode::Forward);
    assert!(
        harness.results.per_scan().is_empty(),
        "a killed scan reported"
    );

    let mut second = Instance::start(harness.config("b", quick())).await;
    let Event::ScanCompleted(done) = harness.results.of("scan-1").await else {
        panic!("scan-1 failed: {:?}", harness.results.heard());
    };
    assert_eq!(done.new_issues, 4);
    assert_eq!(findings_of(&mut second.api, "scan-1").await, 4);

    // The same request once more, as after a crash between commit and
    // ack (published without a message id, so JetStream keeps it).
    let subject = harness
        .bus
        .namespace()
        .subject(Subject::ScanRequested.as_str());
    let publish = harness
        .bus
        .jetstream()
        .publish(subject, envelope.encode_to_vec().into());
    let repeated = publish.await.unwrap().await.unwrap().sequence;
    let stream = harness.bus.namespace().stream(Stream::Scans);
    eventually("the repeated request to be handled", || async {
        let stream = harness.bus.jetstream().get_stream(&stream).await.unwrap();
        let name = tagwarden_scanner::SCAN_REQUESTS_CONSUMER;
        let mut consumer: PullConsumer = stream.get_consumer(name).await.unwrap();
        let info = consumer.info().await.unwrap();
        let done = info.num_pending == 0 && info.num_ack_pending == 0;
        done && info.delivered.stream_sequence >= repeated
    })
    .await;
    // Results go out in commit order: once a later scan's is heard, a
    // second result of scan-1 would have been heard before it.
    let later = scan_request(
        "scan-2",
        "target-2",
        &proxy.host(),
        "team/app",
        "v1",
        &small.digest,
    );
    harness.request(&later).await;
    harness.results.of("scan-2").await;
    assert_eq!(harness.results.per_scan().get("scan-1"), Some(&1));
    assert_eq!(findings_of(&mut second.api, "scan-1").await, 4);
    let by_scan = ListIssuesRequest {
        scan_id: "scan-1".into(),
        ..ListIssuesRequest::default()
    };
    assert_eq!(issues(&mut second.api, by_scan).await.len(), 4);
    second.stop().await;
    harness.finish().await;
}
