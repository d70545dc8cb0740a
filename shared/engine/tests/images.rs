//! Scans of real images built by `infra/images` (mmdebstrap, pip, npm),
//! compared with what dpkg-query, pip and npm say about the same
//! filesystems (`expected/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use tagwarden_engine::inventory::PackageKind;
use tagwarden_testkit::LocalRegistry;

/// The bookworm minbase image pulled from a local registry lists exactly
/// the packages dpkg-query lists for its root filesystem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookworm_base_from_registry_equals_dpkg_query() {
    let Some(image) = built_image("bookworm-base") else { return };
    let registry = LocalRegistry::start();
    push(registry.host(), "bookworm-base", "test/bookworm:v1");
    let engine = engine(None);
    let scanned = scan(&engine, &format!("{}/test/bookworm:v1", registry.host())).await;

    let expected = read_lines(&image.join("expected/dpkg.txt"));
    assert!(expected.len() > 80, "expected list looks wrong: {}", expected.len());
    assert_eq!(dpkg_lines(&scanned.inventory), expected);
    let os = scanned.inventory.os.as_ref().unwrap();
    assert_eq!((os.id.as_str(), os.version_id.as_deref()), ("debian", Some("12")));
    assert_eq!(os.version_codename.as_deref(), Some("bookworm"));
    let digest = std::fs::read_to_string(image.join("expected/manifest-digest")).unwrap();
    assert_eq!(scanned.digest.as_deref(), Some(digest.trim()));
    assert!(scanned.inventory.warnings.is_empty(), "{:?}", scanned.inventory.warnings);
}
