//! Bad input gives an error that names the image and the cause, never a
//! panic: corrupt and truncated layers, escaping tar entries, missing
//! images, refused credentials, schema 1 manifests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use tagwarden_engine::engine::{Engine, EngineConfig, ScanError};
use tagwarden_engine::source::ImageSource;
use tagwarden_registry::{Credentials, StaticCredentials};
use tagwarden_testkit::{ImageBuilder, LocalRegistry, PushFormat, RegistryOptions};

const STATUS: &[u8] = b"Package: a\nStatus: install ok installed\nVersion: 1\n";

async fn scan_err(engine: &Engine, source: &str) -> ScanError {
    let parsed: ImageSource = source.parse().unwrap();
    match engine.inventory(&parsed).await {
        Ok(scanned) => panic!("scan of {source} succeeded: {:?}", scanned.inventory),
        Err(e) => {
            assert!(e.to_string().contains(e.image()), "{e}");
            e
        }
    }
}

#[tokio::test]
async fn layout_layer_whose_digest_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let layer = RawLayer::gzip(&tar_of(&[("var/lib/dpkg/status", STATUS)]));
    write_layout(dir.path(), &[layer], None);
    // Flip a byte of the stored layer blob (the largest file but index.json).
    let blobs = dir.path().join("blobs/sha256");
    let tampered = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read(p).unwrap().starts_with(&[0x1f, 0x8b]))
        .unwrap();
    let mut bytes = std::fs::read(&tampered).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&tampered, bytes).unwrap();

    let source = format!("oci:{}:test", dir.path().display());
    let err = scan_err(&engine(None), &source).await;
    assert!(
        matches!(err, ScanError::DigestMismatch { ref what, .. } if what == "layer 0 blob"),
        "{err}"
    );
    assert!(err.to_string().contains(&source), "{err}");
}

#[tokio::test]
async fn registry_layer_whose_digest_does_not_match() {
    if !have_tools(&["docker-registry", "umoci", "skopeo"]) {
        return;
    }
    let registry = LocalRegistry::start();
    let image = ImageBuilder::new()
        .file("var/lib/dpkg/status", STATUS)
        .build();
    image.push(&registry, "test/corrupt:v1");
    let manifest: serde_json::Value = serde_json::from_slice(&image.blob(&image.digest())).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    registry.corrupt_blob(layer);
    let reference = format!("{}/test/corrupt:v1", registry.host());
    let err = scan_err(&engine(None), &reference).await;
    assert!(matches!(err, ScanError::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains(layer), "{err}");
}

#[tokio::test]
async fn truncated_gzip_layer() {
    let dir = tempfile::tempdir().unwrap();
    let tar = tar_of(&[("var/lib/dpkg/status", &[b'x'; 4000]), ("etc/a", b"a")]);
    let mut layer = RawLayer::gzip(&tar);
    layer.blob.truncate(layer.blob.len() / 2);
    write_layout(dir.path(), &[layer], None);
    let err = scan_err(&engine(None), &format!("oci:{}", dir.path().display())).await;
    let ScanError::CorruptLayer { ref detail, .. } = err else {
        panic!("{err}")
    };
    assert!(
        detail.contains("gzip stream ends early (truncated)"),
        "{err}"
    );
}

#[tokio::test]
async fn tar_entry_escaping_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let layer = RawLayer::gzip(&tar_of(&[("etc/ok", b"x"), ("../../etc/evil", b"x")]));
    let layer_digest = sha256(&layer.blob);
    write_layout(dir.path(), &[layer], None);
    let err = scan_err(&engine(None), &format!("oci:{}:test", dir.path().display())).await;
    let ScanError::PathEscape {
        ref entry,
        ref layer,
        ..
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!(entry, "../../etc/evil");
    assert_eq!(*layer, layer_digest);
    assert!(err.to_string().contains("escapes the image root"), "{err}");
}

#[tokio::test]
async fn diff_id_that_does_not_match_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = RawLayer::gzip(&tar_of(&[("etc/a", b"a")]));
    layer.diff_id = sha256(b"not this tar");
    write_layout(dir.path(), &[layer], None);
    let err = scan_err(&engine(None), &format!("oci:{}:test", dir.path().display())).await;
    assert!(
        matches!(err, ScanError::DigestMismatch { ref what, .. } if what.ends_with("diff id")),
        "{err}"
    );
}

#[tokio::test]
async fn image_that_does_not_exist() {
    if !have_tools(&["docker-registry"]) {
        return;
    }
    let registry = LocalRegistry::start();
    let reference = format!("{}/no/such:v1", registry.host());
    let err = scan_err(&engine(None), &reference).await;
    assert!(matches!(err, ScanError::NotFound { .. }), "{err}");
    let dir = tempfile::tempdir().unwrap();
    write_layout(dir.path(), &[RawLayer::gzip(&tar_of(&[("a", b"a")]))], None);
    let err = scan_err(
        &engine(None),
        &format!("oci:{}:other", dir.path().display()),
    )
    .await;
    assert!(
        matches!(err, ScanError::NotFound { ref detail, .. } if detail.contains("tags: test")),
        "{err}"
    );
}

#[tokio::test]
async fn registry_that_refuses_credentials() {
    if !have_tools(&["docker-registry", "htpasswd", "umoci", "skopeo"]) {
        return;
    }
    let registry = LocalRegistry::start_with_basic_auth("scanner", "right");
    ImageBuilder::new()
        .file("a", "a")
        .build()
        .push(&registry, "test/private:v1");
    let reference = format!("{}/test/private:v1", registry.host());
    let anonymous = scan_err(&engine(None), &reference).await;
    assert!(
        matches!(anonymous, ScanError::Unauthorized { .. }),
        "{anonymous}"
    );

    let host = registry.host().parse().unwrap();
    let wrong = StaticCredentials::anonymous().with(host, Credentials::basic("scanner", "wrong"));
    let engine = Engine::new(EngineConfig {
        credentials: Arc::new(wrong),
        ..EngineConfig::default()
    })
    .unwrap();
    let refused = scan_err(&engine, &reference).await;
    assert!(
        matches!(refused, ScanError::Unauthorized { .. }),
        "{refused}"
    );
}

#[tokio::test]
async fn schema1_manifest() {
    if !have_tools(&["docker-registry", "umoci", "skopeo"]) {
        return;
    }
    let registry = LocalRegistry::start_with(RegistryOptions {
        accept_schema1: true,
        ..RegistryOptions::default()
    });
    ImageBuilder::new().file("a", "a").build().push_as(
        &registry,
        "test/old:v1",
        PushFormat::DockerV2S1,
    );
    let err = scan_err(&engine(None), &format!("{}/test/old:v1", registry.host())).await;
    assert!(matches!(err, ScanError::Schema1 { .. }), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let schema1 = serde_json::json!({"schemaVersion": 1, "name": "x", "tag": "v1", "fsLayers": []});
    write_layout(dir.path(), &[], Some(schema1));
    let err = scan_err(&engine(None), &format!("oci:{}:test", dir.path().display())).await;
    assert!(matches!(err, ScanError::Schema1 { .. }), "{err}");
}

#[tokio::test]
async fn unsupported_layer_media_type() {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = RawLayer::gzip(&tar_of(&[("a", b"a")]));
    layer.media_type = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    write_layout(dir.path(), &[layer], None);
    let err = scan_err(&engine(None), &format!("oci:{}", dir.path().display())).await;
    assert!(
        matches!(err, ScanError::UnsupportedMediaType { .. }),
        "{err}"
    );
}
