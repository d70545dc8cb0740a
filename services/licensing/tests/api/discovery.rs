//! The image projection follows discovery's events: the newest snapshot
//! wins whatever order they arrive in.

use chrono::TimeDelta;
use tagwarden_bus::Event;
use tagwarden_bus::events::{ImageDiscovered, ImageRemoved};
use tagwarden_proto::licensing::v1::AddTargetsRequest;
use tonic::Code;

use crate::support::{Backend, Harness, discovered_tag, location, pool, start_time};

const REGISTRY: &str = "127.0.0.1:5000";

fn discovered(tags: &[&str]) -> Event {
    Event::ImageDiscovered(ImageDiscovered {
        image: Some(location(REGISTRY, "acme/app")),
        tags: tags.iter().map(|tag| discovered_tag(tag)).collect(),
    })
}

fn removed() -> Event {
    Event::ImageRemoved(ImageRemoved {
        image: Some(location(REGISTRY, "acme/app")),
    })
}

fn request(rule: &str) -> AddTargetsRequest {
    AddTargetsRequest {
        image: "acme/app".into(),
        rules: vec![rule.to_owned()],
    }
}

#[tokio::test]
async fn an_older_event_arriving_late_changes_nothing() {
    let harness = Harness::new(Backend::Postgres, pool(10)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    let at = |minutes| start_time() + TimeDelta::minutes(minutes);

    harness.publish_at(discovered(&["latest"]), at(2)).await;
    // A removal seen before the discovery above, delivered after it.
    harness.publish_at(removed(), at(1)).await;
    client.add_targets(request("latest")).await.unwrap();

    harness.publish_at(removed(), at(3)).await;
    // A snapshot from before the removal, redelivered.
    harness.publish_at(discovered(&["latest"]), at(2)).await;
    let gone = client.add_targets(request("v*")).await.unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    assert!(
        gone.message()
            .contains("(discovery saw it gone on 2026-03-01 12:03:00 UTC)"),
        "{}",
        gone.message()
    );

    // Seen again later, with no tags yet.
    harness.publish_at(discovered(&[]), at(4)).await;
    let untagged = client.add_targets(request("v*")).await.unwrap_err();
    assert_eq!(untagged.code(), Code::FailedPrecondition);

    app.stop().await;
    harness.cleanup().await;
}
