//! State lives in the store: a restart announces nothing for targets that
//! did not change, and exactly once for a change made while it was down.

use tagwarden_testkit::LocalRegistry;

use crate::support::{Options, Store, image, push, spawn_app};

async fn restart_announces_only_changes(store: Store) {
    let registry = LocalRegistry::start();
    let (first, second) = (image("one"), image("two"));
    push(&first, &registry, "team/app:production");
    push(&first, &registry, "team/app:v1");
    let mut app = spawn_app(Options {
        store,
        ..Options::default()
    })
    .await;
    app.add_target("t-prod", registry.host(), "team/app", "production")
        .await;
    app.add_target("t-v", registry.host(), "team/app", "v*")
        .await;
    app.events.next().await;
    app.events.next().await;
    app.watcher.wait_idle().await;

    app.restart().await;
    let unchanged = app.watcher.poll_now().await;
    assert_eq!(
        (unchanged.refreshed, unchanged.work.events),
        (1, 0),
        "{unchanged:?}"
    );
    assert_eq!(app.announced().await, 2);

    // Changed while the watcher is down: announced once after the restart.
    app.restart().await;
    push(&second, &registry, "team/app:production");
    app.restart().await;
    assert_eq!(app.watcher.poll_now().await.work.events, 1);
    let moved = app.events.next().await;
    assert_eq!(
        (moved.target_id.as_str(), moved.digest.clone()),
        ("t-prod", second.digest())
    );
    app.restart().await;
    assert_eq!(app.watcher.poll_now().await.work.events, 0);
    assert_eq!(app.announced().await, 3);
    assert!(!app.events.pending());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_postgres_announces_nothing_for_unchanged_targets() {
    restart_announces_only_changes(Store::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_sqlite_announces_nothing_for_unchanged_targets() {
    restart_announces_only_changes(Store::Sqlite).await;
}
