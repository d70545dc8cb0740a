//! With the registry's notifications pointed at the watcher, a push is
//! announced within seconds, with no poll cycle at all.

use std::time::{Duration, Instant};

use tagwarden_testkit::{LocalRegistry, NotificationEndpoint, RegistryOptions};

use crate::support::{Options, SECRET, image, push, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notified_push_is_announced_in_under_two_seconds() {
    let mut app = spawn_app(Options {
        notifications: true,
        ..Options::default()
    })
    .await;
    let endpoint = app.notifications.expect("notification endpoint");
    let registry = tokio::task::block_in_place(|| {
        LocalRegistry::start_with(RegistryOptions {
            notifications: Some(NotificationEndpoint {
                url: format!("http://{endpoint}/notifications/local"),
                headers: vec![("Authorization".into(), SECRET.into())],
            }),
            ..RegistryOptions::default()
        })
    });
    let (first, second) = (image("one"), image("two"));
    push(&first, &registry, "team/app:production");
    app.add_target("t-prod", registry.host(), "team/app", "production")
        .await;
    assert_eq!(app.events.next().await.digest, first.digest());
    app.watcher.wait_idle().await;

    push(&second, &registry, "team/app:production");
    let pushed = Instant::now();
    let event = app.events.within(Duration::from_secs(2)).await;
    let latency = pushed.elapsed();
    let event =
        event.unwrap_or_else(|| panic!("no event within 2 s of the push:\n{}", registry.log()));
    assert_eq!(
        (event.digest.clone(), event.previous_digest.clone()),
        (second.digest(), first.digest())
    );
    eprintln!("push to tags.digest_changed: {latency:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_without_the_secret_is_refused() {
    let app = spawn_app(Options {
        notifications: true,
        ..Options::default()
    })
    .await;
    let endpoint = app.notifications.unwrap();
    let body = r#"{"events":[{"action":"push","target":{"repository":"team/app","tag":"x"},
        "request":{"host":"127.0.0.1:5000"}}]}"#;
    let client = reqwest::Client::new();
    let url = format!("http://{endpoint}/notifications/local");
    let refused = client
        .post(&url)
        .header("Authorization", "Bearer nope")
        .body(body)
        .send();
    assert_eq!(refused.await.unwrap().status().as_u16(), 401);
    let accepted = client
        .post(&url)
        .header("Authorization", SECRET)
        .body(body)
        .send();
    assert_eq!(accepted.await.unwrap().status().as_u16(), 202);
    app.stop().await;
}
