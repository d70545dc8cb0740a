//! Seat accounting through the API: concurrent adds never take more seats
//! than the pool has, a deleted target's seat stays locked for 30 days
//! (by the injected clock) and is then free, and re-adding the same target
//! during the lock takes its seat back.

use chrono::{DateTime, TimeDelta, Utc};
use futures::future::join_all;
use tagwarden_proto::licensing::v1::{
    AddTargetsRequest, DeleteTargetRequest, GetUsageRequest, ListTargetsRequest, Usage,
};
use tonic::Code;

use crate::support::{Backend, Client, Harness, pool, start_time};

const REGISTRY: &str = "127.0.0.1:5000";

fn request(rules: &[&str]) -> AddTargetsRequest {
    AddTargetsRequest {
        image: "acme/app".into(),
        rules: rules.iter().map(|&r| r.to_owned()).collect(),
    }
}

async fn usage(client: &mut Client) -> Usage {
    client
        .get_usage(GetUsageRequest {})
        .await
        .unwrap()
        .into_inner()
}

fn time(ts: Option<prost_types::Timestamp>) -> DateTime<Utc> {
    let ts = ts.unwrap();
    DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).unwrap()).unwrap()
}

async fn fifty_concurrent_adds_for_ten_seats(backend: Backend) {
    let harness = Harness::new(backend, pool(10)).await;
    let app = harness.start().await;
    harness.discover(REGISTRY, "acme/app", &["latest"]).await;

    let calls = (0..50).map(|n| {
        let mut client = app.client.clone();
        async move { client.add_targets(request(&[&format!("rule-{n}")])).await }
    });
    let results = join_all(calls).await;

    let added = results.iter().filter(|r| r.is_ok()).count();
    let refused: Vec<Code> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(tonic::Status::code))
        .collect();
    assert_eq!(added, 10, "refusals: {refused:?}");
    assert!(
        refused.iter().all(|&code| code == Code::ResourceExhausted),
        "{refused:?}"
    );
    let mut client = app.client.clone();
    let usage = usage(&mut client).await;
    assert_eq!((usage.pool_size, usage.in_use, usage.free), (10, 10, 0));
    let listed = client
        .list_targets(ListTargetsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .targets;
    assert_eq!(listed.len(), 10);

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test]
async fn fifty_concurrent_adds_never_exceed_ten_seats_on_sqlite() {
    fifty_concurrent_adds_for_ten_seats(Backend::Sqlite).await;
}

#[tokio::test]
async fn fifty_concurrent_adds_never_exceed_ten_seats_on_postgres() {
    fifty_concurrent_adds_for_ten_seats(Backend::Postgres).await;
}

async fn deleted_seat_is_locked_thirty_days_then_free(backend: Backend) {
    let harness = Harness::new(backend, pool(2)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    harness
        .discover(REGISTRY, "acme/app", &["latest", "v1"])
        .await;

    let latest = client
        .add_targets(request(&["latest"]))
        .await
        .unwrap()
        .into_inner();
    harness.clock.advance(TimeDelta::hours(1));
    let id = latest.targets[0].id.clone();
    let deleted = client
        .delete_target(DeleteTargetRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    let deleted_at = start_time() + TimeDelta::hours(1);
    let until = deleted_at + TimeDelta::days(30);
    assert_eq!(time(deleted.seat_locked_until), until);
    assert_eq!(time(deleted.target.unwrap().deleted_at), deleted_at);

    let locked = usage(&mut client).await;
    assert_eq!((locked.in_use, locked.free), (0, 1));
    assert_eq!(locked.locked.len(), 1);
    assert_eq!(locked.locked[0].target_name, "acme/app:latest");
    assert_eq!(locked.locked[0].target_id, id);
    assert_eq!(time(locked.locked[0].locked_until), until);

    // The other seat goes to v1; the locked one is not free for v*.
    client.add_targets(request(&["v1"])).await.unwrap();
    let full = client.add_targets(request(&["v*"])).await.unwrap_err();
    assert_eq!(full.code(), Code::ResourceExhausted);
    assert!(
        full.message()
            .ends_with("the next seat frees on 2026-03-31 13:00:00 UTC"),
        "{}",
        full.message()
    );

    harness.clock.set(until - TimeDelta::seconds(1));
    assert_eq!(usage(&mut client).await.locked.len(), 1, "one second early");
    harness.clock.set(until);
    let freed = usage(&mut client).await;
    assert_eq!((freed.in_use, freed.locked.len(), freed.free), (1, 0, 1));
    client.add_targets(request(&["v*"])).await.unwrap();
    let after = usage(&mut client).await;
    assert_eq!((after.in_use, after.locked.len(), after.free), (2, 0, 0));

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test]
async fn deleted_seat_is_locked_thirty_days_then_free_on_sqlite() {
    deleted_seat_is_locked_thirty_days_then_free(Backend::Sqlite).await;
}

#[tokio::test]
async fn deleted_seat_is_locked_thirty_days_then_free_on_postgres() {
    deleted_seat_is_locked_thirty_days_then_free(Backend::Postgres).await;
}

#[tokio::test]
async fn re_adding_during_the_lock_reuses_the_seat_and_counts_it_once() {
    let harness = Harness::new(Backend::Sqlite, pool(1)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    harness.discover(REGISTRY, "acme/app", &["latest"]).await;

    let first = client
        .add_targets(request(&["latest"]))
        .await
        .unwrap()
        .into_inner();
    let first_id = first.targets[0].id.clone();
    client
        .delete_target(DeleteTargetRequest {
            id: first_id.clone(),
        })
        .await
        .unwrap();
    harness.clock.advance(TimeDelta::days(10));
    let locked = usage(&mut client).await;
    assert_eq!((locked.in_use, locked.locked.len(), locked.free), (0, 1, 0));

    // The pool is full, yet the same name takes its locked seat back.
    let again = client
        .add_targets(request(&["latest"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.targets[0].name, "acme/app:latest");
    assert_ne!(
        again.targets[0].id, first_id,
        "a re-added target is a new target"
    );
    let reused = usage(&mut client).await;
    assert_eq!((reused.in_use, reused.locked.len(), reused.free), (1, 0, 0));

    // Another name finds no seat: none is locked any more.
    let other = client.add_targets(request(&["v*"])).await.unwrap_err();
    assert_eq!(other.code(), Code::ResourceExhausted);
    assert!(
        other.message().contains("no seat is locked"),
        "{}",
        other.message()
    );

    app.stop().await;
    harness.cleanup().await;
}
