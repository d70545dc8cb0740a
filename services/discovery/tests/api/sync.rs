//! Syncing a real registry: what is announced, what is not, and what a
//! registry failing mid-sync leaves behind.

use tagwarden_bus::Subject;
use tagwarden_proto::discovery::v1 as pb;

use crate::registry::{Registry, image};
use crate::support::{App, Backend, Harness, discovered, repository, settings};

/// team/a (v1, v2), team/b (v1) and team/empty (one untagged manifest).
async fn seeded() -> Registry {
    let registry = Registry::start().await;
    let a = image("a");
    registry.push(&a, "team/a:v1");
    registry.tag(&a, "team/a", "v2");
    registry.push(&image("b"), "team/b:v1");
    registry.push_untagged(&image("lonely"), "team/empty");
    registry
}

/// Adds the integration, syncs once, and waits for the three events.
async fn first_sync(harness: &Harness, app: &App, registry: &Registry) -> String {
    let integration = app.add_oci("lab", &registry.host).await;
    let result = app.refresh(&integration.id).await;
    assert!(result.ok, "{}", result.error);
    assert_eq!(
        (
            result.repositories,
            result.tags,
            result.discovered,
            result.removed
        ),
        (3, 3, 3, 0)
    );
    harness.wait_published(Subject::ImageDiscovered, 3).await;
    integration.id
}

async fn announces_changes_only(backend: Backend) {
    let harness = Harness::new(backend, settings()).await;
    let app = harness.start().await;
    let registry = seeded().await;
    let id = first_sync(&harness, &app, &registry).await;
    let first = harness.published(Subject::ImageDiscovered).await;
    let a = first.iter().find(|e| repository(e) == "team/a").unwrap();
    let tags: Vec<&str> = discovered(a).tags.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(tags, ["v1", "v2"]);
    assert!(discovered(a).tags.iter().all(|t| t.pushed_at_from_config));
    let empty = first
        .iter()
        .find(|e| repository(e) == "team/empty")
        .unwrap();
    assert!(
        discovered(empty).tags.is_empty(),
        "untagged manifests are not tags"
    );

    // An unchanged registry: nothing to announce.
    let again = app.refresh(&id).await;
    assert!(
        again.ok && again.discovered == 0 && again.removed == 0,
        "{again:?}"
    );

    // One new tag: exactly one event, with every tag of the repository.
    registry.push_created("team/a", "v3", "2026-02-01T00:00:00Z");
    let third = app.refresh(&id).await;
    assert_eq!((third.discovered, third.removed), (1, 0));
    let all = harness.wait_published(Subject::ImageDiscovered, 4).await;
    let newest = discovered(&all[3]);
    assert_eq!(newest.image.as_ref().unwrap().repository, "team/a");
    let tags: Vec<&str> = newest.tags.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(tags, ["v1", "v2", "v3"]);
    assert!(harness.published(Subject::ImageRemoved).await.is_empty());

    // A deleted repository: one ImageRemoved, nothing discovered.
    registry.delete_repository("team/b");
    let fourth = app.refresh(&id).await;
    assert_eq!((fourth.discovered, fourth.removed), (0, 1));
    let removed = harness.wait_published(Subject::ImageRemoved, 1).await;
    assert_eq!(repository(&removed[0]), "team/b");
    assert_eq!(harness.published(Subject::ImageDiscovered).await.len(), 4);
    assert_eq!(
        app.inventory().await,
        ["team/a:v1", "team/a:v2", "team/a:v3", "team/empty@"]
    );

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announces_new_changed_and_removed_repositories_only_sqlite() {
    announces_changes_only(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announces_new_changed_and_removed_repositories_only_postgres() {
    announces_changes_only(Backend::Postgres).await;
}

async fn a_500_keeps_the_inventory(backend: Backend) {
    let harness = Harness::new(backend, settings()).await;
    let app = harness.start().await;
    let registry = seeded().await;
    let id = first_sync(&harness, &app, &registry).await;
    let before = app.inventory().await;

    // team/a changes, then the registry fails on team/b halfway through.
    registry.push_created("team/a", "v9", "2026-02-01T00:00:00Z");
    registry.fail("/team/b/tags/list");
    let failed = app.refresh(&id).await;

    assert!(!failed.ok);
    assert!(failed.error.contains("HTTP 500"), "{}", failed.error);
    assert_eq!(
        app.inventory().await,
        before,
        "nothing changed, nothing deleted"
    );
    let listed = app
        .client
        .clone()
        .list_integrations(pb::ListIntegrationsRequest {})
        .await
        .unwrap()
        .into_inner();
    let last = listed.integrations[0].last_sync.clone().unwrap();
    assert!(!last.ok && last.error == failed.error, "{last:?}");

    // Healed: the change made meanwhile is announced, once.
    registry.heal();
    let healed = app.refresh(&id).await;
    assert!(healed.ok && healed.discovered == 1, "{healed:?}");
    let all = harness.wait_published(Subject::ImageDiscovered, 4).await;
    assert_eq!(repository(&all[3]), "team/a");
    assert!(harness.published(Subject::ImageRemoved).await.is_empty());

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_answering_500_mid_sync_leaves_the_inventory_sqlite() {
    a_500_keeps_the_inventory(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_answering_500_mid_sync_leaves_the_inventory_postgres() {
    a_500_keeps_the_inventory(Backend::Postgres).await;
}
