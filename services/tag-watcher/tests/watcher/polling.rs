//! What one poll cycle announces: a re-pushed tag, a newer matching tag,
//! nothing for a tag no rule matches, ties to the greater tag.

use chrono::{DateTime, Utc};
use tagwarden_testkit::LocalRegistry;

use crate::support::{Options, image, push, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repushing_production_announces_exactly_one_change_per_cycle() {
    let registry = LocalRegistry::start();
    let (first, second) = (image("one"), image("two"));
    push(&first, &registry, "team/app:production");
    let mut app = spawn_app(Options::default()).await;

    app.add_target("t-prod", registry.host(), "team/app", "production")
        .await;
    let created = app.events.next().await;
    assert_eq!(
        (created.tag.as_str(), created.digest.clone()),
        ("production", first.digest())
    );
    assert_eq!(
        (
            created.previous_tag.as_str(),
            created.previous_digest.as_str()
        ),
        ("", "")
    );
    app.watcher.wait_idle().await;

    push(&second, &registry, "team/app:production");
    let cycle = app.watcher.poll_now().await;
    assert_eq!(cycle.work.events, 1, "{cycle:?}");
    let moved = app.events.next().await;
    assert_eq!(moved.target_id, "t-prod");
    assert_eq!(
        (moved.tag.as_str(), moved.digest.clone()),
        ("production", second.digest())
    );
    assert_eq!(moved.previous_tag, "production");
    assert_eq!(moved.previous_digest, first.digest());

    let quiet = app.watcher.poll_now().await;
    assert_eq!((quiet.refreshed, quiet.work.events), (1, 0), "{quiet:?}");
    assert_eq!(app.announced().await, 2);
    assert!(!app.events.pending());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_matching_tag_moves_the_resolution_and_other_tags_do_not() {
    let registry = LocalRegistry::start();
    let (one, two, staging) = (image("p1"), image("p2"), image("s1"));
    push(&one, &registry, "team/app:production-1");
    let mut app = spawn_app(Options::default()).await;

    app.add_target("t-glob", registry.host(), "team/app", "production-*")
        .await;
    let created = app.events.next().await;
    assert_eq!(created.tag, "production-1");
    app.watcher.wait_idle().await;

    push(&staging, &registry, "team/app:staging-1");
    let unmatched = app.watcher.poll_now().await;
    assert_eq!(unmatched.work.events, 0, "{unmatched:?}");
    assert_eq!(
        unmatched.work.digests, 1,
        "only production-1 is read: {unmatched:?}"
    );

    push(&two, &registry, "team/app:production-2");
    let newer = app.watcher.poll_now().await;
    assert_eq!(newer.work.events, 1, "{newer:?}");
    let moved = app.events.next().await;
    assert_eq!(
        (moved.tag.as_str(), moved.digest.clone()),
        ("production-2", two.digest())
    );
    assert_eq!(
        (moved.previous_tag.as_str(), moved.previous_digest.clone()),
        ("production-1", one.digest())
    );

    assert_eq!(app.watcher.poll_now().await.work.events, 0);
    assert_eq!(app.announced().await, 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_pushed_at_the_same_time_resolve_to_the_greater() {
    let registry = LocalRegistry::start();
    // Built b first, a second: a's config is newer, so without push
    // times a would win on its build date.
    let (b, a) = (image("b"), image("a"));
    push(&b, &registry, "team/app:production-b");
    push(&a, &registry, "team/app:production-a");
    let mut app = spawn_app(Options::default()).await;

    let same: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
    let tags = [
        ("production-a", a.digest(), same),
        ("production-b", b.digest(), same),
    ];
    let tags: Vec<_> = tags.iter().map(|(t, d, p)| (*t, d.as_str(), *p)).collect();
    app.discovered(registry.host(), "team/app", &tags).await;
    app.add_target("t-tie", registry.host(), "team/app", "production-*")
        .await;

    let resolved = app.events.next().await;
    assert_eq!(
        (resolved.tag.as_str(), resolved.digest.clone()),
        ("production-b", b.digest())
    );
    assert_eq!(resolved.pushed_at.unwrap().seconds, same.timestamp());
    app.watcher.wait_idle().await;
    assert_eq!(app.watcher.poll_now().await.work.events, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_first_seen_in_the_same_look_tie_to_the_greater() {
    let registry = LocalRegistry::start();
    let (zero, b, a) = (image("0"), image("b"), image("a"));
    push(&zero, &registry, "team/app:production-0");
    let mut app = spawn_app(Options::default()).await;
    app.add_target("t-tie", registry.host(), "team/app", "production-*")
        .await;
    assert_eq!(app.events.next().await.tag, "production-0");
    app.watcher.wait_idle().await;

    // Both appear between two looks: neither is known to be newer.
    push(&b, &registry, "team/app:production-b");
    push(&a, &registry, "team/app:production-a");
    assert_eq!(app.watcher.poll_now().await.work.events, 1);
    let moved = app.events.next().await;
    assert_eq!(
        (moved.tag.as_str(), moved.previous_tag.as_str()),
        ("production-b", "production-0")
    );
    app.stop().await;
}
