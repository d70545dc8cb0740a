//! Integrations: checked when added, credentials never returned, synced
//! periodically in parallel where one failing integration blocks and
//! wipes nothing, and removed with an `ImageRemoved` per repository.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;
use tagwarden_bus::Subject;
use tagwarden_discovery::CredentialConfig;
use tagwarden_proto::discovery::v1 as pb;
use tonic::Code;

use crate::registry::{Registry, image};
use crate::support::{Backend, Harness, eventually, repository, settings};

fn request(name: &str, provider: &str, registry: &str) -> pb::AddIntegrationRequest {
    pb::AddIntegrationRequest {
        name: name.into(),
        provider: provider.into(),
        registry: registry.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn integrations_are_checked_and_never_show_secrets() {
    let mut config = settings();
    let basic = CredentialConfig::Basic {
        username: "bot".into(),
        password: SecretString::from("hunter2"),
    };
    config.credentials = BTreeMap::from([("ghcr".to_owned(), basic)]);
    let harness = Harness::new(Backend::Sqlite, config).await;
    let app = harness.start().await;
    let mut client = app.client.clone();

    let unknown = client
        .add_integration(request("x", "quay", "quay.io"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(
        unknown
            .message()
            .contains("is not one of ecr, artifact-registry, acr, oci")
    );
    let no_region = client
        .add_integration(request("x", "ecr", ""))
        .await
        .unwrap_err();
    assert_eq!(
        no_region.message(),
        r#"an integration of provider ecr needs the setting "region""#
    );
    let mut missing = request("x", "oci", "ghcr.io");
    missing.credential_ref = "nope".into();
    let missing = client.add_integration(missing).await.unwrap_err();
    assert_eq!(missing.code(), Code::FailedPrecondition);
    let mut wrong = request("x", "acr", "acme.azurecr.io");
    wrong.credential_ref = "ghcr".into();
    let wrong = client.add_integration(wrong).await.unwrap_err();
    assert_eq!(
        wrong.message(),
        r#"credential "ghcr" cannot be used with a acr integration"#
    );

    let mut ghcr = request("ghcr", "oci", "ghcr.io");
    ghcr.credential_ref = "ghcr".into();
    ghcr.settings = [("repositories".to_owned(), "acme/app".to_owned())].into();
    let added = client
        .add_integration(ghcr.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.credential_ref, "ghcr");
    let taken = client.add_integration(ghcr).await.unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    let listed = client
        .list_integrations(pb::ListIntegrationsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.integrations.len(), 1);
    assert!(!format!("{listed:?}").contains("hunter2"));
    assert!(listed.integrations[0].last_sync.is_none());

    let missing = pb::RefreshRequest {
        integration_id: "no-such-id".into(),
    };
    assert_eq!(
        client.refresh(missing).await.unwrap_err().code(),
        Code::NotFound
    );

    app.stop().await;
    harness.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_integration_blocks_and_wipes_nothing() {
    let mut config = settings();
    config.sync_interval = Duration::from_secs(3600);
    config.sync_concurrency = 2;
    let harness = Harness::new(Backend::Sqlite, config).await;
    let app = harness.start().await;
    let good = Registry::start().await;
    good.push(&image("good"), "team/good:v1");
    let broken = Registry::start().await;
    broken.push(&image("broken"), "team/broken:v1");
    let good_id = app.add_oci("good", &good.host).await.id;
    let broken_id = app.add_oci("broken", &broken.host).await.id;

    // The periodic sync picks both up as soon as they are added.
    let synced = |id: String| {
        let mut client = app.client.clone();
        async move {
            let all = client
                .list_integrations(pb::ListIntegrationsRequest {})
                .await
                .unwrap()
                .into_inner();
            all.integrations.into_iter().find(|i| i.id == id)?.last_sync
        }
    };
    eventually("both synced", || async {
        synced(good_id.clone()).await.is_some() && synced(broken_id.clone()).await.is_some()
    })
    .await;
    assert_eq!(app.inventory().await, ["team/broken:v1", "team/good:v1"]);

    broken.fail("/v2/_catalog");
    good.push(&image("good 2"), "team/good:v2");
    let failed = app.refresh(&broken_id).await;
    let fine = app.refresh(&good_id).await;
    assert!(!failed.ok && fine.ok && fine.discovered == 1);
    assert_eq!(
        app.inventory().await,
        ["team/broken:v1", "team/good:v1", "team/good:v2"]
    );

    // Removing an integration announces its repositories as removed.
    let remove = pb::RemoveIntegrationRequest {
        id: good_id.clone(),
    };
    app.client.clone().remove_integration(remove).await.unwrap();
    let removed = harness.wait_published(Subject::ImageRemoved, 1).await;
    assert_eq!(repository(&removed[0]), "team/good");
    assert_eq!(app.inventory().await, ["team/broken:v1"]);

    app.stop().await;
    harness.cleanup().await;
}
