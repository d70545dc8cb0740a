//! Every refusal reaches a gRPC client with its code and a message that
//! says what is wrong, and a refused `AddTargets` adds nothing.

use tagwarden_proto::licensing::v1::{
    AddTargetsRequest, DeleteTargetRequest, GetUsageRequest, ListTargetsRequest, Target,
};
use tonic::{Code, Status};

use crate::support::{Backend, Client, Harness, pool};

const REGISTRY: &str = "127.0.0.1:5000";

async fn add(client: &mut Client, image: &str, rules: &[&str]) -> Result<Vec<Target>, Status> {
    let request = AddTargetsRequest {
        image: image.into(),
        rules: rules.iter().map(|&r| r.to_owned()).collect(),
    };
    Ok(client.add_targets(request).await?.into_inner().targets)
}

async fn list(client: &mut Client, image: &str) -> Vec<Target> {
    let request = ListTargetsRequest {
        image: image.into(),
        include_deleted: false,
    };
    client
        .list_targets(request)
        .await
        .unwrap()
        .into_inner()
        .targets
}

fn assert_status(result: Result<Vec<Target>, Status>, code: Code, message: &str) {
    let status = result.expect_err("the call must fail");
    assert_eq!(status.code(), code, "{}", status.message());
    assert_eq!(status.message(), message);
}

#[tokio::test]
async fn image_problems_are_not_found_failed_precondition_or_invalid() {
    let harness = Harness::new(Backend::Sqlite, pool(10)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    harness.discover(REGISTRY, "acme/empty", &[]).await;
    harness.discover(REGISTRY, "acme/gone", &["latest"]).await;
    harness.remove(REGISTRY, "acme/gone").await;
    harness.discover(REGISTRY, "acme/twice", &["latest"]).await;
    harness.discover("ghcr.io", "acme/twice", &["latest"]).await;

    assert_status(
        add(&mut client, "acme/unknown", &["latest"]).await,
        Code::NotFound,
        "image \"acme/unknown\" is not known: no connected registry has reported a \
         repository of that name; check the name, or refresh the integration that should \
         see it",
    );
    assert_status(
        add(&mut client, "127.0.0.1:5000/acme/empty", &["latest"]).await,
        Code::FailedPrecondition,
        "image \"127.0.0.1:5000/acme/empty\" has no tags, so there is nothing a tag rule \
         could select; push a tag and add the target once discovery has seen it",
    );
    let removed = add(&mut client, "acme/gone", &["latest"])
        .await
        .unwrap_err();
    assert_eq!(removed.code(), Code::NotFound);
    assert!(
        removed.message().starts_with(
            "image \"acme/gone\" was removed from its registry (discovery saw it gone on "
        ),
        "{}",
        removed.message()
    );
    assert_status(
        add(&mut client, "acme/twice", &["latest"]).await,
        Code::InvalidArgument,
        "image \"acme/twice\" is ambiguous: registries 127.0.0.1:5000, ghcr.io each have a \
         repository of that name; name the image as registry/repository",
    );
    assert_status(
        add(&mut client, "acme/app:latest", &["latest"]).await,
        Code::InvalidArgument,
        "image \"acme/app:latest\" names a tag; give the image \"acme/app\" and the tag \
         rule \"latest\"",
    );
    // Naming the registry settles the ambiguity.
    let added = add(&mut client, "ghcr.io/acme/twice", &["latest"])
        .await
        .unwrap();
    assert_eq!(added[0].registry, "ghcr.io");

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test]
async fn invalid_rules_are_named_and_nothing_is_added() {
    let harness = Harness::new(Backend::Sqlite, pool(10)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    harness
        .discover(REGISTRY, "acme/app", &["latest", "v1"])
        .await;

    assert_status(
        add(&mut client, "acme/app", &["latest", "prod tag"]).await,
        Code::InvalidArgument,
        "invalid tag rule \"prod tag\" at position 5: a space is not allowed in a tag rule: \
         tags cannot contain spaces",
    );
    let long = "a".repeat(129);
    let status = add(&mut client, "acme/app", &["a/b", "**", &long])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    for expected in [
        "invalid tag rule \"a/b\" at position 2: `/` is not allowed",
        "invalid tag rule \"**\" at position 1: `**` is not allowed",
        "(129 characters): a tag rule may be at most 128 characters",
    ] {
        assert!(status.message().contains(expected), "{}", status.message());
    }
    assert_status(
        add(&mut client, "acme/app", &[]).await,
        Code::InvalidArgument,
        "no tag rule given: add at least one, such as `latest` or `production-*`",
    );
    assert_status(
        add(&mut client, "acme/app", &["v*", "v*"]).await,
        Code::InvalidArgument,
        "tag rule \"v*\" is given twice; each rule makes one target, give it once",
    );
    assert!(list(&mut client, "acme/app").await.is_empty());

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test]
async fn existing_target_is_already_exists_and_the_call_adds_nothing() {
    let harness = Harness::new(Backend::Sqlite, pool(10)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    harness.discover(REGISTRY, "acme/app", &["latest"]).await;

    let first = add(&mut client, "acme/app", &["latest"]).await.unwrap();
    assert_eq!(first[0].name, "acme/app:latest");
    assert_status(
        add(&mut client, "acme/app", &["production-*", "latest"]).await,
        Code::AlreadyExists,
        &format!(
            "target already exists: acme/app:latest (id {}); nothing was added",
            first[0].id
        ),
    );
    let names: Vec<String> = list(&mut client, "")
        .await
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["acme/app:latest"], "production-* must not be added");

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test]
async fn full_pool_is_resource_exhausted_and_says_when_a_seat_frees() {
    let harness = Harness::new(Backend::Sqlite, pool(1)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    harness
        .discover(REGISTRY, "acme/app", &["latest", "v1"])
        .await;

    add(&mut client, "acme/app", &["latest"]).await.unwrap();
    assert_status(
        add(&mut client, "acme/app", &["v*"]).await,
        Code::ResourceExhausted,
        "no free licence seat: the pool's only seat is in use or locked; no seat is \
         locked, so none frees by itself: raise the pool size, or delete a target (its seat \
         frees when its lock ends)",
    );
    let id = list(&mut client, "acme/app").await[0].id.clone();
    client
        .delete_target(DeleteTargetRequest { id })
        .await
        .unwrap();
    // Deleted at 2026-03-01 12:00:00 UTC: the seat frees 30 days later.
    assert_status(
        add(&mut client, "acme/app", &["v*"]).await,
        Code::ResourceExhausted,
        "no free licence seat: the pool's only seat is in use or locked; the next seat \
         frees on 2026-03-31 12:00:00 UTC",
    );

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test]
async fn delete_problems_and_a_missing_token() {
    let harness = Harness::new(Backend::Sqlite, pool(10)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    harness.discover(REGISTRY, "acme/app", &["latest"]).await;

    let missing = client
        .delete_target(DeleteTargetRequest { id: "nope".into() })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(missing.message(), "no target has id \"nope\"");
    let empty = client
        .delete_target(DeleteTargetRequest { id: String::new() })
        .await
        .unwrap_err();
    assert_eq!(
        (empty.code(), empty.message()),
        (Code::InvalidArgument, "no target id given")
    );
    let id = add(&mut client, "acme/app", &["latest"]).await.unwrap()[0]
        .id
        .clone();
    client
        .delete_target(DeleteTargetRequest { id: id.clone() })
        .await
        .unwrap();
    let again = client
        .delete_target(DeleteTargetRequest { id: id.clone() })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
    assert_eq!(
        again.message(),
        format!("target acme/app:latest (id {id}) was already deleted on 2026-03-01 12:00:00 UTC")
    );

    let mut anonymous = tagwarden_proto::licensing::v1::licensing_client::LicensingClient::connect(
        format!("http://{}", app.addr),
    )
    .await
    .unwrap();
    let refused = anonymous.get_usage(GetUsageRequest {}).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);

    app.stop().await;
    harness.cleanup().await;
}
