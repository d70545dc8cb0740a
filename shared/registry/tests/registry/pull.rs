//! Pulling from a real registry: manifests in OCI and Docker media types,
//! config and layers with digests verified, indexes resolved to one
//! platform, and the bad cases (404, schema 1, corrupted bytes).

use tagwarden_registry::{BlobError, Digest, ManifestError, Platform, UnsupportedManifest};
use tagwarden_testkit::{ImageBuilder, LocalRegistry, OciImage, PushFormat, RegistryOptions};
use tokio::io::AsyncReadExt;

use crate::standin::{Behaviour, StandIn};
use crate::support::{anonymous, image, read_all};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn two_layer_image() -> OciImage {
    ImageBuilder::new()
        .file("etc/os-release", "ID=tagwarden-test\n")
        .file("usr/share/doc/a.txt", "first layer")
        .layer()
        .remove("usr/share/doc/a.txt")
        .file("app/main.txt", "second layer")
        .platform("linux", "amd64")
        .build()
}

fn layout_manifest(image: &OciImage) -> serde_json::Value {
    serde_json::from_slice(&image.blob(&image.digest())).unwrap()
}

#[tokio::test]
async fn pulls_an_oci_manifest_config_and_layers_with_digests_verified() {
    let registry = LocalRegistry::start();
    let built = two_layer_image();
    built.push(&registry, "team/app:v1");
    let client = anonymous();

    let resolved = client
        .resolve(&image(registry.host(), "team/app:v1"), &Platform::default())
        .await
        .unwrap();

    assert_eq!(resolved.digest.to_string(), built.digest());
    assert_eq!(resolved.index_digest, None);
    assert_eq!(resolved.manifest.media_type, OCI_MANIFEST);
    let expected = layout_manifest(&built);
    let layer_digests: Vec<String> = resolved
        .manifest
        .layers
        .iter()
        .map(|l| l.digest.to_string())
        .collect();
    let expected_digests: Vec<&str> = expected["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect();
    assert_eq!(layer_digests, expected_digests);
    for layer in &resolved.manifest.layers {
        assert_eq!(
            layer.media_type,
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
        let bytes = read_all(client.blob(&resolved.pinned(), layer).await.unwrap())
            .await
            .unwrap();
        assert_eq!(bytes, built.blob(&layer.digest.to_string()));
    }
    let config: serde_json::Value =
        serde_json::from_slice(&client.config_blob(&resolved).await.unwrap()).unwrap();
    assert_eq!(
        (config["os"].as_str(), config["architecture"].as_str()),
        (Some("linux"), Some("amd64"))
    );
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn pulls_docker_v2_schema2_media_types_through_an_async_reader() {
    let registry = LocalRegistry::start();
    two_layer_image().push_as(&registry, "team/app:docker", PushFormat::DockerV2S2);
    let client = anonymous();
    let reference = image(
        &registry.host().replace("127.0.0.1", "localhost"),
        "team/app:docker",
    );

    let resolved = client
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();

    assert_eq!(resolved.manifest.media_type, DOCKER_MANIFEST);
    assert_eq!(
        resolved.manifest.config.media_type,
        "application/vnd.docker.container.image.v1+json"
    );
    for layer in &resolved.manifest.layers {
        assert_eq!(
            layer.media_type,
            "application/vnd.docker.image.rootfs.diff.tar.gzip"
        );
        let mut reader = client
            .blob(&resolved.pinned(), layer)
            .await
            .unwrap()
            .into_async_read();
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await.unwrap();
        assert_eq!(Digest::sha256_of(&bytes), layer.digest);
        assert_eq!(bytes.len() as u64, layer.size);
    }
}

#[tokio::test]
async fn an_index_gives_amd64_by_default_arm64_on_request_and_never_the_attestation() {
    let registry = LocalRegistry::start();
    let amd = ImageBuilder::new()
        .file("arch", "amd64")
        .platform("linux", "amd64")
        .build();
    let arm = ImageBuilder::new()
        .file("arch", "arm64")
        .platform("linux", "arm64")
        .build();
    let index = OciImage::index(&[(&arm, "linux/arm64/v8"), (&amd, "linux/amd64")], true);
    index.push(&registry, "multi/app:v1");
    let client = anonymous();
    let reference = image(registry.host(), "multi/app:v1");

    let default = client
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();
    assert_eq!(default.digest.to_string(), amd.digest());
    assert_eq!(default.index_digest.unwrap().to_string(), index.digest());
    assert_eq!(default.platform.unwrap().to_string(), "linux/amd64");

    let wanted: Platform = "linux/arm64".parse().unwrap();
    let arm64 = client.resolve(&reference, &wanted).await.unwrap();
    assert_eq!(arm64.digest.to_string(), arm.digest());
    assert_eq!(
        arm64.platform.as_ref().unwrap().to_string(),
        "linux/arm64/v8"
    );
    let layer = &arm64.manifest.layers[0];
    assert_eq!(
        read_all(client.blob(&arm64.pinned(), layer).await.unwrap())
            .await
            .unwrap(),
        arm.blob(&layer.digest.to_string())
    );

    let err = client
        .resolve(&reference, &"unknown/unknown".parse().unwrap())
        .await
        .unwrap_err();
    let ManifestError::PlatformNotFound { offered, .. } = &err else {
        panic!("{err}")
    };
    let offered: Vec<String> = offered.iter().map(ToString::to_string).collect();
    assert_eq!(offered, ["linux/arm64/v8", "linux/amd64"]);
    assert_eq!(
        err.to_string(),
        format!(
            "image {reference} has no image for platform unknown/unknown; it offers linux/arm64/v8, linux/amd64"
        )
    );
}

#[tokio::test]
async fn head_gives_the_digest_a_tag_points_at() {
    let registry = LocalRegistry::start();
    let single = two_layer_image();
    single.push(&registry, "team/app:v1");
    let amd = ImageBuilder::new()
        .file("a", "b")
        .platform("linux", "amd64")
        .build();
    let index = OciImage::index(&[(&amd, "linux/amd64")], true);
    index.push(&registry, "team/app:multi");
    let client = anonymous();

    let digest = client
        .manifest_digest(&image(registry.host(), "team/app:v1"))
        .await
        .unwrap();
    assert_eq!(digest.to_string(), single.digest());
    let digest = client
        .manifest_digest(&image(registry.host(), "team/app:multi"))
        .await
        .unwrap();
    assert_eq!(digest.to_string(), index.digest());
    let pinned = image(registry.host(), &format!("team/app@{}", single.digest()));
    assert_eq!(
        client.manifest_digest(&pinned).await.unwrap().to_string(),
        single.digest()
    );
}

#[tokio::test]
async fn a_missing_image_is_not_found_and_named() {
    let registry = LocalRegistry::start();
    two_layer_image().push(&registry, "team/app:v1");
    let client = anonymous();

    for missing in ["team/app:nope", "team/nothing:v1"] {
        let reference = image(registry.host(), missing);
        let err = client
            .resolve(&reference, &Platform::default())
            .await
            .unwrap_err();
        assert!(matches!(err, ManifestError::NotFound { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "image {reference} not found: the registry has no such repository, tag or digest"
            )
        );
        let err = client.manifest_digest(&reference).await.unwrap_err();
        assert!(matches!(err, ManifestError::NotFound { .. }), "{err}");
    }
}

#[tokio::test]
async fn a_schema1_manifest_is_refused_with_a_clear_error() {
    let registry = LocalRegistry::start_with(RegistryOptions {
        accept_schema1: true,
        ..Default::default()
    });
    two_layer_image().push_as(&registry, "old/app:v1", PushFormat::DockerV2S1);
    let reference = image(registry.host(), "old/app:v1");

    let err = anonymous()
        .resolve(&reference, &Platform::default())
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ManifestError::Unsupported {
                what: UnsupportedManifest::Schema1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "image {reference} cannot be scanned: it uses a Docker schema 1 manifest, which is not \
             supported; push the image again with a current Docker, Podman or skopeo"
        )
    );
}

#[tokio::test]
async fn a_corrupted_layer_ends_in_a_digest_mismatch_naming_blob_and_image() {
    let registry = LocalRegistry::start();
    let built = two_layer_image();
    built.push(&registry, "team/app:v1");
    let client = anonymous();
    let resolved = client
        .resolve(&image(registry.host(), "team/app:v1"), &Platform::default())
        .await
        .unwrap();
    let layer = resolved.manifest.layers[1].clone();
    registry.corrupt_blob(&layer.digest.to_string());

    let err = read_all(client.blob(&resolved.pinned(), &layer).await.unwrap())
        .await
        .unwrap_err();
    let BlobError::DigestMismatch { digest, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(digest, &layer.digest);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "blob {} of image {} does not match its digest",
            layer.digest,
            resolved.pinned()
        )),
        "{message}"
    );

    let mut reader = client
        .blob(&resolved.pinned(), &layer)
        .await
        .unwrap()
        .into_async_read();
    let io_err = reader.read_to_end(&mut Vec::new()).await.unwrap_err();
    let inner = io_err.get_ref().and_then(|e| e.downcast_ref::<BlobError>());
    assert!(
        matches!(inner, Some(BlobError::DigestMismatch { .. })),
        "{io_err}"
    );
}

#[tokio::test]
async fn a_corrupted_config_is_a_digest_mismatch_naming_blob_and_image() {
    let registry = LocalRegistry::start();
    two_layer_image().push(&registry, "team/app:v1");
    let client = anonymous();
    let resolved = client
        .resolve(&image(registry.host(), "team/app:v1"), &Platform::default())
        .await
        .unwrap();
    let config = resolved.manifest.config.digest.clone();
    registry.corrupt_blob(&config.to_string());

    let err = client.config_blob(&resolved).await.unwrap_err();

    let BlobError::DigestMismatch { digest, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(digest, &config);
    assert!(
        err.to_string().starts_with(&format!(
            "blob {config} of image {} does not match its digest",
            resolved.pinned()
        )),
        "{err}"
    );
}

#[tokio::test]
async fn a_corrupted_manifest_is_a_digest_mismatch() {
    let registry = LocalRegistry::start();
    let built = two_layer_image();
    built.push(&registry, "team/app:v1");
    registry.corrupt_blob(&built.digest());
    let reference = image(registry.host(), "team/app:v1");

    let err = anonymous()
        .resolve(&reference, &Platform::default())
        .await
        .unwrap_err();

    let ManifestError::DigestMismatch { expected, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(expected.to_string(), built.digest());
    assert!(err.to_string().contains(&reference.to_string()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_digest_header_the_digest_is_the_sha256_of_the_body() {
    let registry = LocalRegistry::start();
    let built = two_layer_image();
    built.push(&registry, "team/app:v1");
    let standin = StandIn::start(registry.host(), Behaviour::HideDigest).await;
    let reference = image(standin.host(), "team/app:v1");
    let client = anonymous();

    let digest = client.manifest_digest(&reference).await.unwrap();
    let resolved = client
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();

    assert_eq!(digest.to_string(), built.digest());
    assert_eq!(resolved.digest.to_string(), built.digest());
    let methods: Vec<String> = standin
        .seen("/manifests/v1")
        .iter()
        .map(|s| s.method.to_string())
        .collect();
    assert_eq!(methods, ["HEAD", "GET", "GET"]);
}
