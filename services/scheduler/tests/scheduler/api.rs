//! The history API: filters, paging newest first, and the status codes a
//! caller can act on.

use std::time::Duration;

use tagwarden_bus::events::SeverityCounts;
use tagwarden_proto::scheduler::v1::{GetScanRequest, ListScansRequest, ScanStatus};
use tagwarden_scheduler::Clock as _;
use tonic::Code;

use crate::support::{App, Store, api_client, digest, spawn_app};

const MINUTE: Duration = Duration::from_secs(60);

/// Three targets with one scan each, a minute apart; the middle completed.
async fn three_scans(app: &mut App) -> Vec<String> {
    let mut ids = Vec::new();
    for target in ["target-1", "target-2", "target-3"] {
        app.digest_changed(target, "v1", &digest('a'), "").await;
        let request = app.scanner.next().await;
        if target == "target-2" {
            app.complete(&request, SeverityCounts::default()).await;
            app.scan_reaches(&request.scan_id, ScanStatus::Completed.into())
                .await;
        }
        ids.push(request.scan_id);
        app.clock.advance(MINUTE);
    }
    ids
}

fn ids(scans: &[tagwarden_proto::scheduler::v1::Scan]) -> Vec<&str> {
    scans.iter().map(|s| s.id.as_str()).collect()
}

#[tokio::test]
async fn list_scans_pages_newest_first_and_filters() {
    let mut app = spawn_app(Store::Sqlite).await;
    let start = app.clock.now();
    let scans = three_scans(&mut app).await;

    let first = ListScansRequest {
        page_size: 2,
        ..ListScansRequest::default()
    };
    let page = app
        .api
        .list_scans(first.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&page.scans), [scans[2].as_str(), scans[1].as_str()]);
    assert!(!page.next_page_token.is_empty());
    let next = ListScansRequest {
        page_token: page.next_page_token,
        ..first
    };
    let page = app.api.list_scans(next).await.unwrap().into_inner();
    assert_eq!(ids(&page.scans), [scans[0].as_str()]);
    assert_eq!(page.next_page_token, "");

    let completed = ListScansRequest {
        status: ScanStatus::Completed.into(),
        ..ListScansRequest::default()
    };
    let page = app.api.list_scans(completed).await.unwrap().into_inner();
    assert_eq!(ids(&page.scans), [scans[1].as_str()]);

    let second_minute = ListScansRequest {
        since: Some((start + MINUTE).into()),
        until: Some((start + 2 * MINUTE).into()),
        ..ListScansRequest::default()
    };
    let page = app
        .api
        .list_scans(second_minute)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&page.scans), [scans[1].as_str()]);

    let one_target = ListScansRequest {
        target_id: "target-1".into(),
        ..ListScansRequest::default()
    };
    let page = app.api.list_scans(one_target).await.unwrap().into_inner();
    assert_eq!(ids(&page.scans), [scans[0].as_str()]);
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_the_codes_a_caller_can_act_on() {
    let mut app = spawn_app(Store::Sqlite).await;
    let unknown = GetScanRequest {
        id: "0190d1e2-7c4f-7000-8000-000000000000".into(),
    };
    let status = app.api.get_scan(unknown).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    let bad_token = ListScansRequest {
        page_token: "not-a-token".into(),
        ..ListScansRequest::default()
    };
    let status = app.api.list_scans(bad_token).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    let now = app.clock.now();
    let backwards = ListScansRequest {
        since: Some(now.into()),
        until: Some(now.into()),
        ..ListScansRequest::default()
    };
    let status = app.api.list_scans(backwards).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    let mut stranger = api_client(app.addr, "wrong-token").await;
    let status = stranger
        .list_scans(ListScansRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    app.stop().await;
}
