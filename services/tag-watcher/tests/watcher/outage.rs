//! A registry that answers 503 changes nothing: targets keep their
//! resolution, the registry is backed off, and once it recovers the next
//! cycle finds nothing new to announce.

use std::time::Duration;

use tagwarden_testkit::LocalRegistry;

use crate::proxy::CountingProxy;
use crate::support::{Options, eventually, image, push, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_keeps_every_resolution_and_backs_off() {
    let registry = LocalRegistry::start();
    push(&image("one"), &registry, "team/app:production");
    let proxy = CountingProxy::start(registry.host()).await;
    let mut app = spawn_app(Options {
        attempts: 1,
        backoff: Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    app.add_target("t-prod", proxy.host(), "team/app", "production")
        .await;
    app.events.next().await;
    app.watcher.wait_idle().await;

    proxy.set_failing(true);
    let failed = app.watcher.poll_now().await;
    assert_eq!((failed.failed, failed.work.events), (1, 0), "{failed:?}");
    proxy.reset();
    let deferred = app.watcher.poll_now().await;
    assert_eq!(deferred.deferred, 1, "{deferred:?}");
    assert_eq!(
        proxy.count_prefix("GET", "/v2/"),
        0,
        "a backed-off registry gets no requests"
    );

    proxy.set_failing(false);
    let watcher = app.watcher.clone();
    eventually("the registry is polled again", || {
        let watcher = watcher.clone();
        async move { watcher.poll_now().await.refreshed == 1 }
    })
    .await;
    assert_eq!(app.watcher.poll_now().await.work.events, 0);
    assert_eq!(app.announced().await, 1);
    assert!(!app.events.pending());
    app.stop().await;
}
