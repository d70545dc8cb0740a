//! Scan history against the real scheduler: scans it queued after the tag
//! watcher's first resolution of three targets.

use tagwarden_bus::Event;
use tagwarden_bus::events::DigestChanged;
use tagwarden_proto::scheduler::v1::ListScansRequest;
use tagwarden_proto::scheduler::v1::scheduler_client::SchedulerClient;
use tagwarden_runtime::auth::BearerToken;

use crate::support::{self, REGISTRY, TOKEN, ctl, env_for, eventually, location, pairs};

const TARGETS: [&str; 3] = [
    "01900000-0000-7000-8000-000000000001",
    "01900000-0000-7000-8000-000000000002",
    "01900000-0000-7000-8000-000000000003",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_list_and_show() {
    let scheduler = support::scheduler().await;
    for (n, target) in TARGETS.iter().enumerate() {
        let event = Event::DigestChanged(DigestChanged {
            target_id: (*target).into(),
            image: Some(location("acme/app")),
            tag: format!("v{n}"),
            digest: format!("sha256:{}", n.to_string().repeat(64)),
            ..DigestChanged::default()
        });
        scheduler.bus.publish(event).await.unwrap();
    }
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", scheduler.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let api = SchedulerClient::with_interceptor(channel, BearerToken::new(TOKEN).unwrap());
    eventually("three queued scans", || {
        let mut api = api.clone();
        async move {
            let request = ListScansRequest::default();
            api.list_scans(request)
                .await
                .unwrap()
                .into_inner()
                .scans
                .len()
                == 3
        }
    })
    .await;
    let env = env_for("scheduler", scheduler.addr);
    let env = pairs(&env);

    let one = ctl(&["scans", "list", "--target", TARGETS[1]], &env).await;
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    let lines: Vec<&str> = one.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", one.stdout);
    let id = lines[1].split_whitespace().next().unwrap();
    let image = format!("{REGISTRY}/acme/app:v1");
    let header = format!(
        "ID{}  IMAGE{}  STATUS  REASON          REQUESTED                TOOK  FINDINGS  NEW  FIXED",
        " ".repeat(id.len() - 2),
        " ".repeat(image.len() - 5)
    );
    assert_eq!(lines[0], header);
    assert_eq!(
        lines[1],
        format!(
            "{id}  {image}  queued  target_created  2026-03-01 12:00:00 UTC  -     -         0    0"
        )
    );

    let show = ctl(&["scans", "show", id, "-o", "json"], &env).await;
    assert_eq!(show.code, Some(0), "{}", show.stderr);
    let scan: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(scan["target_id"], TARGETS[1]);
    assert_eq!(scan["status"], "queued");
    assert_eq!(scan["digest"], format!("sha256:{}", "1".repeat(64)));
    assert_eq!(scan["requested_at"], "2026-03-01T12:00:00Z");

    let limited = ctl(&["scans", "list", "--limit", "2", "-o", "json"], &env).await;
    let rows: serde_json::Value = serde_json::from_str(&limited.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(
        limited.stderr,
        "showing the first 2; pass --limit N (0 for all) to see more\n"
    );
    let all = ctl(
        &["scans", "list", "--limit", "0", "--status", "queued"],
        &env,
    )
    .await;
    assert_eq!(all.stdout.lines().count(), 4, "{}", all.stdout);
    assert_eq!(all.stderr, "");
    let none = ctl(
        &[
            "scans",
            "list",
            "--status",
            "failed",
            "--since",
            "2026-03-01",
        ],
        &env,
    )
    .await;
    assert_eq!(none.stdout.lines().count(), 1, "{}", none.stdout);

    let missing = ctl(&["scans", "show", "no-such-scan"], &env).await;
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stderr.starts_with("error: NOT_FOUND: "),
        "{}",
        missing.stderr
    );

    scheduler.stop().await;
}
