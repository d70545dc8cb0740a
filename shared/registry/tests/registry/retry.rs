//! Retries: 429 with `Retry-After` waited out, 5xx retried with growing
//! delay and then given up on with an error, never an empty result.

use std::time::{Duration, Instant};

use tagwarden_registry::{ManifestError, Platform};
use tagwarden_testkit::{ImageBuilder, LocalRegistry};

use crate::standin::{Behaviour, StandIn};
use crate::support::{anonymous, image, read_all};

fn fault(path: &str, status: u16, retry_after: Option<&str>, times: usize) -> Behaviour {
    Behaviour::Fault {
        path: path.to_owned(),
        status,
        retry_after: retry_after.map(str::to_owned),
        times,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_waited_out_then_the_pull_succeeds() {
    let registry = LocalRegistry::start();
    ImageBuilder::new()
        .file("a.txt", "x")
        .build()
        .push(&registry, "busy/app:v1");
    let standin = StandIn::start(registry.host(), fault("/manifests/", 429, Some("1"), 1)).await;

    let started = Instant::now();
    let resolved = anonymous()
        .resolve(&image(standin.host(), "busy/app:v1"), &Platform::default())
        .await
        .unwrap();

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried after {:?}",
        started.elapsed()
    );
    assert_eq!(resolved.manifest.layers.len(), 1);
    assert_eq!(standin.seen("/manifests/").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_keeps_failing_is_unavailable_after_bounded_attempts() {
    let registry = LocalRegistry::start();
    ImageBuilder::new()
        .file("a.txt", "x")
        .build()
        .push(&registry, "down/app:v1");
    let standin =
        StandIn::start(registry.host(), fault("/manifests/", 503, None, usize::MAX)).await;
    let reference = image(standin.host(), "down/app:v1");

    let err = anonymous()
        .resolve(&reference, &Platform::default())
        .await
        .unwrap_err();

    assert!(matches!(err, ManifestError::Unavailable { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "registry {} was unavailable for image {reference}: \
             HTTP 503: TOOMANYREQUESTS slow down (gave up after 4 attempts)",
            standin.host()
        )
    );
    assert_eq!(standin.seen("/manifests/").len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_longer_than_we_wait_gives_up_at_once() {
    let registry = LocalRegistry::start();
    ImageBuilder::new()
        .file("a.txt", "x")
        .build()
        .push(&registry, "slow/app:v1");
    let standin = StandIn::start(registry.host(), fault("/manifests/", 429, Some("3600"), 1)).await;
    let reference = image(standin.host(), "slow/app:v1");

    let err = anonymous()
        .resolve(&reference, &Platform::default())
        .await
        .unwrap_err();

    assert!(matches!(err, ManifestError::Unavailable { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("asked to retry after 3600s, longer than the 5s we wait"),
        "{err}"
    );
    assert_eq!(standin.seen("/manifests/").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_download_that_starts_with_503_is_retried() {
    let registry = LocalRegistry::start();
    ImageBuilder::new()
        .file("a.txt", "x")
        .build()
        .push(&registry, "flaky/app:v1");
    let standin = StandIn::start(registry.host(), fault("/blobs/", 503, None, 1)).await;
    let client = anonymous();
    let resolved = client
        .resolve(&image(standin.host(), "flaky/app:v1"), &Platform::default())
        .await
        .unwrap();

    let layer = &resolved.manifest.layers[0];
    let bytes = read_all(client.blob(&resolved.pinned(), layer).await.unwrap())
        .await
        .unwrap();

    assert_eq!(bytes.len() as u64, layer.size);
    assert_eq!(standin.seen("/blobs/").len(), 2);
}
