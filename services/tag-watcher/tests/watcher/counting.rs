//! However many targets share a repository, a cycle lists its tags once
//! and reads each matching tag's digest once. Counted on the wire, by a
//! proxy in front of the real registry.

use tagwarden_testkit::LocalRegistry;

use crate::proxy::CountingProxy;
use crate::support::{Options, image, push, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_targets_on_one_repository_list_tags_once_per_cycle() {
    let registry = LocalRegistry::start();
    for (tag, content) in [("production", "p"), ("production-1", "p1"), ("v1", "v1")] {
        push(&image(content), &registry, &format!("team/app:{tag}"));
    }
    push(&image("other"), &registry, "team/app:staging");
    let proxy = CountingProxy::start(registry.host()).await;
    let mut app = spawn_app(Options::default()).await;

    let rules = ["production", "production-*", "v*", "*", "production*"];
    for (n, rule) in rules.iter().enumerate() {
        app.add_target(&format!("t{n}"), proxy.host(), "team/app", rule)
            .await;
    }
    for _ in rules {
        app.events.next().await;
    }
    app.watcher.wait_idle().await;

    for cycle in 1..=3 {
        proxy.reset();
        let report = app.watcher.poll_now().await;
        assert_eq!(
            (report.repositories, report.refreshed),
            (1, 1),
            "{report:?}"
        );
        assert_eq!(report.work.targets, 5);
        let listings = proxy.count("GET", "/v2/team/app/tags/list");
        assert_eq!(
            listings, 1,
            "cycle {cycle}: one tag listing for five targets"
        );
        // `*` matches all four tags: each digest is read once, by HEAD.
        assert_eq!(proxy.count_prefix("HEAD", "/v2/team/app/manifests/"), 4);
        assert_eq!(proxy.count_prefix("GET", "/v2/team/app/manifests/"), 0);
        assert_eq!(report.work.events, 0);
    }
    app.stop().await;
}
