//! Authentication: basic auth against the real registry's htpasswd, and
//! the bearer-token challenge against a stand-in token endpoint.

use tagwarden_registry::{BlobError, ListError, ManifestError, Platform};
use tagwarden_testkit::{ImageBuilder, LocalRegistry};

use crate::standin::{Behaviour, StandIn, TOKEN};
use crate::support::{anonymous, image, read_all, with_password};

#[tokio::test]
async fn basic_auth_with_the_right_password_pulls_and_lists() {
    let registry = LocalRegistry::start_with_basic_auth("ci", "s3cret");
    ImageBuilder::new()
        .file("a.txt", "private")
        .build()
        .push(&registry, "private/app:v1");
    let client = with_password(registry.host(), "ci", "s3cret");

    let resolved = client
        .resolve(
            &image(registry.host(), "private/app:v1"),
            &Platform::default(),
        )
        .await
        .unwrap();
    let layer = &resolved.manifest.layers[0];
    let bytes = read_all(client.blob(&resolved.pinned(), layer).await.unwrap())
        .await
        .unwrap();
    assert_eq!(bytes.len() as u64, layer.size);
    let tags = client.list_tags(resolved.image.repository()).await.unwrap();
    assert_eq!(tags, ["v1"]);
    let catalog = client
        .catalog(registry.host().parse().as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(catalog, ["private/app"]);
}

#[tokio::test]
async fn a_wrong_or_missing_password_is_unauthorized_and_names_the_image() {
    let registry = LocalRegistry::start_with_basic_auth("ci", "s3cret");
    ImageBuilder::new()
        .file("a.txt", "private")
        .build()
        .push(&registry, "private/app:v1");
    let reference = image(registry.host(), "private/app:v1");

    let wrong = with_password(registry.host(), "ci", "wrong");
    let err = wrong
        .resolve(&reference, &Platform::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ManifestError::Unauthorized { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "registry {} refused access to image {reference}: \
             HTTP 401: the registry refused the user name and password",
            registry.host()
        )
    );
    let err = wrong.list_tags(reference.repository()).await.unwrap_err();
    assert!(matches!(err, ListError::Unauthorized { .. }), "{err}");

    let err = anonymous()
        .resolve(&reference, &Platform::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ManifestError::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("none are configured"), "{err}");

    let good = with_password(registry.host(), "ci", "s3cret");
    let resolved = good
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();
    let err = wrong
        .blob(&resolved.pinned(), &resolved.manifest.layers[0])
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::Unauthorized { .. }), "{err}");
    assert!(
        err.to_string().contains(&resolved.pinned().to_string()),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_challenge_gets_a_scoped_token_once_and_uses_it() {
    let registry = LocalRegistry::start();
    ImageBuilder::new()
        .file("a.txt", "behind tokens")
        .build()
        .push(&registry, "bear/app:v1");
    let behaviour = Behaviour::Bearer {
        user: "robot".to_owned(),
        password: "t0ken-pass".to_owned(),
        expires_in: 300,
    };
    let standin = StandIn::start(registry.host(), behaviour).await;
    let client = with_password(standin.host(), "robot", "t0ken-pass");
    let reference = image(standin.host(), "bear/app:v1");

    let resolved = client
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();
    let layer = &resolved.manifest.layers[0];
    let bytes = read_all(client.blob(&resolved.pinned(), layer).await.unwrap())
        .await
        .unwrap();
    assert_eq!(bytes.len() as u64, layer.size);
    assert_eq!(
        client.list_tags(reference.repository()).await.unwrap(),
        ["v1"]
    );
    assert_eq!(
        client.catalog(reference.registry()).await.unwrap(),
        ["bear/app"]
    );
    let tokens_before = standin.seen("/token").len();
    client
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();
    client.manifest_digest(&reference).await.unwrap();

    let token_requests = standin.seen("/token");
    assert_eq!(
        token_requests.len(),
        tokens_before,
        "cached tokens were fetched again"
    );
    let scopes: Vec<&str> = token_requests.iter().map(|r| r.target.as_str()).collect();
    assert!(
        scopes
            .iter()
            .any(|t| t.contains("scope=repository%3Abear%2Fapp%3Apull")),
        "{scopes:?}"
    );
    assert!(
        scopes
            .iter()
            .any(|t| t.contains("scope=registry%3Acatalog%3A*")),
        "{scopes:?}"
    );
    assert!(
        scopes.iter().all(|t| t.contains("service=standin")),
        "{scopes:?}"
    );
    let manifest_gets = standin.seen("/v2/bear/app/manifests/");
    assert!(
        manifest_gets
            .iter()
            .any(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_refusing_the_credentials_is_unauthorized() {
    let registry = LocalRegistry::start();
    ImageBuilder::new()
        .file("a.txt", "x")
        .build()
        .push(&registry, "bear/app:v1");
    let behaviour = Behaviour::Bearer {
        user: "robot".to_owned(),
        password: "right".to_owned(),
        expires_in: 300,
    };
    let standin = StandIn::start(registry.host(), behaviour).await;
    let reference = image(standin.host(), "bear/app:v1");

    let err = with_password(standin.host(), "robot", "wrong")
        .resolve(&reference, &Platform::default())
        .await
        .unwrap_err();

    assert!(matches!(err, ManifestError::Unauthorized { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "registry {} refused access to image {reference}: \
             the token endpoint refused the credentials (HTTP 401)",
            standin.host()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_fetched_again() {
    let registry = LocalRegistry::start();
    ImageBuilder::new()
        .file("a.txt", "x")
        .build()
        .push(&registry, "bear/app:v1");
    // Five seconds is inside the client's safety margin: the token counts
    // as expired as soon as it arrives.
    let behaviour = Behaviour::Bearer {
        user: "robot".to_owned(),
        password: "pass".to_owned(),
        expires_in: 5,
    };
    let standin = StandIn::start(registry.host(), behaviour).await;
    let client = with_password(standin.host(), "robot", "pass");
    let reference = image(standin.host(), "bear/app:v1");

    client.manifest_digest(&reference).await.unwrap();
    client.manifest_digest(&reference).await.unwrap();

    assert_eq!(standin.seen("/token").len(), 2);
}
