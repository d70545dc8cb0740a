//! The discovery table: covered flag from target events, targets-only,
//! search, order by last push, paging, and untagged rows.

use tagwarden_proto::discovery::v1 as pb;

use crate::registry::{Registry, image};
use crate::support::{Backend, Harness, eventually, settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_filters_sorts_pages_and_follows_targets() {
    let harness = Harness::new(Backend::Sqlite, settings()).await;
    let app = harness.start().await;
    let registry = Registry::start().await;
    let early = "2026-01-01T10:00:00Z";
    registry.push_created("team/app", "v1", early);
    registry.push_created("team/app", "production-1", early);
    let new = registry.push_created("team/app", "latest", "2026-01-02T10:00:00Z");
    registry.push_created("tools/cli", "1.0", "2026-01-02T10:00:00Z");
    registry.push_untagged(&image("orphan"), "team/orphan");
    let integration = app.add_oci("lab", &registry.host).await;
    assert!(app.refresh(&integration.id).await.ok);

    let all = app.images(pb::ListImagesRequest::default()).await;
    let order: Vec<String> = all
        .iter()
        .map(|r| format!("{}:{}", r.repository, r.tag))
        .collect();
    assert_eq!(
        order,
        [
            "team/app:latest",
            "tools/cli:1.0",
            "team/app:production-1",
            "team/app:v1",
            "team/orphan:"
        ],
        "latest push first, ties by name, untagged without a push time last"
    );
    let orphan = &all[4];
    assert!(orphan.untagged && orphan.digest.is_empty() && orphan.pushed_at.is_none());
    let first = &all[0];
    assert_eq!(first.account_name, "lab");
    assert_eq!(first.registry, registry.host);
    assert_eq!(first.provider, "oci");
    assert_eq!(first.digest, new);
    assert!(first.pushed_at_from_config && !first.covered_by_target);

    let oldest_first = pb::ListImagesRequest {
        oldest_first: true,
        ..Default::default()
    };
    let rows = app.images(oldest_first).await;
    assert_eq!(rows[0].tag, "production-1");

    let search = pb::ListImagesRequest {
        search: "CLI".into(),
        ..Default::default()
    };
    let rows = app.images(search).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].repository, "tools/cli");

    let page = pb::ListImagesRequest {
        page_size: 2,
        ..Default::default()
    };
    let first_page = app
        .client
        .clone()
        .list_images(page)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first_page.images.len(), 2);
    assert_eq!(first_page.next_page_token, "2");
    assert_eq!(
        app.images(pb::ListImagesRequest {
            page_size: 2,
            ..Default::default()
        })
        .await
        .len(),
        5
    );

    // A target on `production-*` covers that tag only.
    let host = registry.host.clone();
    harness
        .target(true, "t1", &host, "team/app", "production-*")
        .await;
    let targets_only = pb::ListImagesRequest {
        targets_only: true,
        ..Default::default()
    };
    let covered = app.images(targets_only.clone()).await;
    let tags: Vec<&str> = covered.iter().map(|r| r.tag.as_str()).collect();
    assert_eq!(tags, ["production-1"]);

    // A tag pushed later that the rule matches is covered from its sync.
    registry.push_created("team/app", "production-2", early);
    assert!(app.refresh(&integration.id).await.ok);
    assert_eq!(app.images(targets_only.clone()).await.len(), 2);

    harness
        .target(false, "t1", &host, "team/app", "production-*")
        .await;
    eventually("coverage dropped", || async {
        app.images(targets_only.clone()).await.is_empty()
    })
    .await;

    let bad = pb::ListImagesRequest {
        page_token: "not-a-token".into(),
        ..Default::default()
    };
    let err = app.client.clone().list_images(bad).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);

    app.stop().await;
    harness.cleanup().await;
}
