//! Targets and licences against the real licensing service: exact tables.

use crate::support::{self, REGISTRY, ctl, discover, env_for, pairs};

/// The ids `targets add -o json` printed, in order.
fn ids(json: &str) -> Vec<String> {
    let rows: serde_json::Value = serde_json::from_str(json).unwrap();
    let rows = rows.as_array().unwrap();
    rows.iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_and_licences_end_to_end() {
    let licensing = support::licensing(3).await;
    discover(&licensing, "acme/app", &["latest", "v1"]).await;
    let env = env_for("licensing", licensing.addr);
    let env = pairs(&env);

    let add = ctl(
        &[
            "targets", "add", "acme/app", "--rule", "latest", "-r", "v*", "-o", "json",
        ],
        &env,
    )
    .await;
    assert_eq!(add.code, Some(0), "{}", add.stderr);
    let added = ids(&add.stdout);
    let (latest, v) = (&added[0], &added[1]);

    let list = ctl(&["targets", "list"], &env).await;
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    let mut rows: Vec<&str> = list.stdout.lines().collect();
    let header = rows.remove(0);
    rows.sort_unstable();
    let pad = " ".repeat(latest.len() - 2);
    assert_eq!(
        header,
        format!("ID{pad}  NAME             REGISTRY        CREATED                  DELETED")
    );
    let mut expected = vec![
        format!("{latest}  acme/app:latest  {REGISTRY}  2026-03-01 12:00:00 UTC  -"),
        format!("{v}  acme/app:v*      {REGISTRY}  2026-03-01 12:00:00 UTC  -"),
    ];
    expected.sort_unstable();
    assert_eq!(rows, expected);

    let more = ctl(
        &[
            "targets",
            "add-rule",
            "acme/app:latest",
            "--rule",
            "release-*",
            "-o",
            "json",
        ],
        &env,
    )
    .await;
    assert_eq!(more.code, Some(0), "{}", more.stderr);
    let release: serde_json::Value = serde_json::from_str(&more.stdout).unwrap();
    assert_eq!(release[0]["name"], "acme/app:release-*");
    assert_eq!(release[0]["registry"], REGISTRY);

    let delete = ctl(&["targets", "delete", v], &env).await;
    assert_eq!(delete.code, Some(0), "{}", delete.stderr);
    assert_eq!(
        delete.stdout,
        format!(
            "deleted target acme/app:v* ({v}); its licence seat is locked until \
             2026-03-31 12:00:00 UTC\n"
        )
    );

    let licences = ctl(&["licences"], &env).await;
    assert_eq!(licences.code, Some(0), "{}", licences.stderr);
    let pad = " ".repeat(v.len() - "DELETED TARGET".len());
    assert_eq!(
        licences.stdout,
        format!(
            "pool    3\n\
             in use  2\n\
             locked  1\n\
             free    0\n\
             \n\
             LOCKED SEAT  DELETED TARGET{pad}  FREE FROM\n\
             acme/app:v*  {v}  2026-03-31 12:00:00 UTC\n"
        )
    );
    assert_eq!(licences.stderr, "");

    let json = ctl(&["licences", "--output", "json"], &env).await;
    let usage: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        usage,
        serde_json::json!({
            "pool_size": 3,
            "in_use": 2,
            "locked": [{
                "target_name": "acme/app:v*",
                "target_id": v,
                "locked_until": "2026-03-31T12:00:00Z"
            }],
            "free": 0
        })
    );

    let deleted = ctl(
        &["targets", "list", "--include-deleted", "-o", "json"],
        &env,
    )
    .await;
    let all: serde_json::Value = serde_json::from_str(&deleted.stdout).unwrap();
    let gone: Vec<_> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["deleted_at"].is_null())
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(gone, vec![v.as_str()]);

    licensing.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_says_when_a_seat_frees() {
    let licensing = support::licensing(1).await;
    discover(&licensing, "acme/app", &["latest"]).await;
    let env = env_for("licensing", licensing.addr);
    let env = pairs(&env);

    let first = ctl(&["targets", "add", "acme/app", "-r", "latest"], &env).await;
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let second = ctl(&["targets", "add-rule", "acme/app", "-r", "v*"], &env).await;
    assert_eq!(second.code, Some(1));
    assert_eq!(second.stdout, "");
    assert!(
        second.stderr.starts_with("error: RESOURCE_EXHAUSTED: "),
        "{}",
        second.stderr
    );
    assert_eq!(second.stderr.lines().count(), 1, "{}", second.stderr);

    licensing.stop().await;
}
