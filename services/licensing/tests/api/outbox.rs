//! Events follow committed changes exactly once, even across crashes.

use sea_orm::{ConnectionTrait, Database};
use tagwarden_bus::{Envelope, Event, Subject};
use tagwarden_proto::licensing::v1::{AddTargetsRequest, DeleteTargetRequest};

use crate::support::{Backend, Client, Harness, eventually, pool};

const REGISTRY: &str = "127.0.0.1:5000";

async fn add(client: &mut Client, rule: &str) -> String {
    let request = AddTargetsRequest {
        image: "acme/app".into(),
        rules: vec![rule.to_owned()],
    };
    let added = client.add_targets(request).await.unwrap().into_inner();
    added.targets[0].id.clone()
}

/// The target ids of `targets.created` events, in stream order.
fn created_ids(envelopes: &[Envelope]) -> Vec<String> {
    envelopes
        .iter()
        .map(|envelope| match &envelope.event {
            Some(Event::TargetCreated(created)) => {
                created.target.as_ref().unwrap().target_id.clone()
            }
            other => panic!("not a targets.created event: {other:?}"),
        })
        .collect()
}

/// Waits until `count` `targets.created` events are in the stream.
async fn created_events(harness: &Harness, count: usize) -> Vec<Envelope> {
    eventually(&format!("{count} targets.created events"), || async {
        harness.published(Subject::TargetCreated).await.len() >= count
    })
    .await;
    harness.published(Subject::TargetCreated).await
}

#[tokio::test]
async fn a_crash_between_commit_and_publish_still_delivers_one_created_event() {
    let harness = Harness::new(Backend::Sqlite, pool(10)).await;
    // The relay is held back: the change commits, its event stays in the
    // outbox, and the service stops as a crash would leave it.
    let app = harness.start_with(false).await;
    harness
        .discover(REGISTRY, "acme/app", &["latest", "v1"])
        .await;
    let mut client = app.client.clone();
    let first = add(&mut client, "latest").await;
    app.stop().await;
    assert!(harness.published(Subject::TargetCreated).await.is_empty());

    // The relay runs at start: the event arrives with no further change.
    let app = harness.start().await;
    let events = created_events(&harness, 1).await;
    assert_eq!(created_ids(&events), std::slice::from_ref(&first));
    // A second change: the relay publishes in commit order, so once its
    // event is there, nothing else was sent for the first one.
    let mut client = app.client.clone();
    let second = add(&mut client, "v1").await;
    let events = created_events(&harness, 2).await;
    assert_eq!(created_ids(&events), [first.clone(), second]);
    let target = match &events[0].event {
        Some(Event::TargetCreated(created)) => created.target.clone().unwrap(),
        _ => unreachable!(),
    };
    let image = target.image.unwrap();
    assert_eq!(
        (
            image.registry.as_str(),
            image.repository.as_str(),
            target.tag_rule.as_str()
        ),
        (REGISTRY, "acme/app", "latest")
    );
    assert_eq!(events[0].producer, "licensing");

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test]
async fn a_crash_after_publish_before_marking_sends_a_duplicate_jetstream_drops() {
    let harness = Harness::new(Backend::Sqlite, pool(10)).await;
    let app = harness.start().await;
    harness
        .discover(REGISTRY, "acme/app", &["latest", "v1"])
        .await;
    let mut client = app.client.clone();
    let first = add(&mut client, "latest").await;
    let published = created_events(&harness, 1).await;
    app.stop().await;

    // As if the service died after JetStream stored the event but before
    // the outbox row was marked: the row is pending again.
    let db = Database::connect(harness.database_url()).await.unwrap();
    db.execute_unprepared("UPDATE outbox SET published_at = NULL")
        .await
        .unwrap();
    db.close().await.unwrap();

    let app = harness.start().await;
    let mut client = app.client.clone();
    let second = add(&mut client, "v1").await;
    let events = created_events(&harness, 2).await;
    assert_eq!(created_ids(&events), [first, second]);
    assert_eq!(
        events[0].event_id, published[0].event_id,
        "same event, sent once"
    );

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test]
async fn delete_publishes_targets_deleted_after_targets_created() {
    let harness = Harness::new(Backend::Postgres, pool(10)).await;
    let app = harness.start().await;
    harness.discover(REGISTRY, "acme/app", &["latest"]).await;
    let mut client = app.client.clone();
    let id = add(&mut client, "latest").await;
    client
        .delete_target(DeleteTargetRequest { id: id.clone() })
        .await
        .unwrap();

    eventually("targets.deleted event", || async {
        !harness.published(Subject::TargetDeleted).await.is_empty()
    })
    .await;
    let created = harness.published(Subject::TargetCreated).await;
    let deleted = harness.published(Subject::TargetDeleted).await;
    assert_eq!(created_ids(&created), std::slice::from_ref(&id));
    match &deleted[..] {
        [envelope] => match &envelope.event {
            Some(Event::TargetDeleted(event)) => {
                assert_eq!(event.target.as_ref().unwrap().target_id, id);
            }
            other => panic!("not a targets.deleted event: {other:?}"),
        },
        other => panic!("expected one targets.deleted event, got {}", other.len()),
    }

    app.stop().await;
    harness.cleanup().await;
}
