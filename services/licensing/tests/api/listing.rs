//! `ListTargets` filters by image, named either way, and shows deleted
//! targets only when asked.

use tagwarden_proto::licensing::v1::{AddTargetsRequest, DeleteTargetRequest, ListTargetsRequest};
use tonic::Code;

use crate::support::{Backend, Client, Harness, pool};

const REGISTRY: &str = "127.0.0.1:5000";

async fn names(client: &mut Client, image: &str, include_deleted: bool) -> Vec<String> {
    let request = ListTargetsRequest {
        image: image.into(),
        include_deleted,
    };
    let listed = client.list_targets(request).await.unwrap().into_inner();
    listed.targets.into_iter().map(|t| t.name).collect()
}

#[tokio::test]
async fn list_filters_by_image_and_hides_deleted_targets() {
    let harness = Harness::new(Backend::Sqlite, pool(10)).await;
    let app = harness.start().await;
    let mut client = app.client.clone();
    harness.discover(REGISTRY, "acme/app", &["latest"]).await;
    harness.discover(REGISTRY, "acme/web", &["latest"]).await;
    for (image, rules) in [
        ("acme/app", ["latest", "v*"]),
        ("acme/web", ["latest", "v*"]),
    ] {
        let request = AddTargetsRequest {
            image: image.into(),
            rules: rules.map(String::from).to_vec(),
        };
        client.add_targets(request).await.unwrap();
    }
    let listed = client
        .list_targets(ListTargetsRequest {
            image: "acme/app".into(),
            include_deleted: false,
        })
        .await
        .unwrap()
        .into_inner();
    let v = listed.targets.iter().find(|t| t.tag_rule == "v*").unwrap();
    client
        .delete_target(DeleteTargetRequest { id: v.id.clone() })
        .await
        .unwrap();

    assert_eq!(
        names(&mut client, "acme/app", false).await,
        ["acme/app:latest"]
    );
    assert_eq!(
        names(&mut client, "127.0.0.1:5000/acme/app", true).await,
        ["acme/app:latest", "acme/app:v*"]
    );
    assert_eq!(
        names(&mut client, "", false).await,
        ["acme/app:latest", "acme/web:latest", "acme/web:v*"]
    );
    assert!(names(&mut client, "acme/other", true).await.is_empty());
    let bad = client
        .list_targets(ListTargetsRequest {
            image: "acme/app:latest".into(),
            include_deleted: false,
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);

    app.stop().await;
    harness.cleanup().await;
}
