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
    let Some(image) = built_image("bookworm-base") else {
        return;
    };
    let registry = LocalRegistry::start();
    push(registry.host(), "bookworm-base", "test/bookworm:v1");
    let engine = engine(None);
    let scanned = scan(&engine, &format!("{}/test/bookworm:v1", registry.host())).await;

    let expected = read_lines(&image.join("expected/dpkg.txt"));
    assert!(
        expected.len() > 80,
        "expected list looks wrong: {}",
        expected.len()
    );
    assert_eq!(dpkg_lines(&scanned.inventory), expected);
    let os = scanned.inventory.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("debian", Some("12"))
    );
    assert_eq!(os.version_codename.as_deref(), Some("bookworm"));
    let digest = std::fs::read_to_string(image.join("expected/manifest-digest")).unwrap();
    assert_eq!(scanned.digest.as_deref(), Some(digest.trim()));
    assert!(
        scanned.inventory.warnings.is_empty(),
        "{:?}",
        scanned.inventory.warnings
    );
}

/// `(name, version)` of every package in `npm ls --all --json` output.
fn npm_ls_pairs(tree: &serde_json::Value, out: &mut BTreeSet<(String, String)>) {
    let Some(deps) = tree.get("dependencies").and_then(|d| d.as_object()) else {
        return;
    };
    for (name, dep) in deps {
        let version = dep["version"].as_str().expect("npm ls version");
        out.insert((name.clone(), version.to_owned()));
        npm_ls_pairs(dep, out);
    }
}

/// `type name version diff_id` from `expected/packages.tsv`.
fn expected_attribution(image: &std::path::Path) -> BTreeSet<String> {
    read_lines(&image.join("expected/packages.tsv"))
        .into_iter()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            format!("{} {} {} {}", f[0], f[1], f[2], f[4])
        })
        .collect()
}

/// The app image: pip and npm layers over the base, and a top layer that
/// purges e2fsprogs (whiteouts plus a rewritten dpkg status). The
/// inventory is that of the final filesystem, every package attributed to
/// the layer that installed it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookworm_app_matches_dpkg_pip_and_npm_with_layers() {
    let Some(image) = built_image("bookworm-app") else {
        return;
    };
    let engine = engine(None);
    let scanned = scan(
        &engine,
        &format!("oci:{}:bookworm-app", image.join("oci").display()),
    )
    .await;
    let inventory = &scanned.inventory;

    assert_eq!(
        dpkg_lines(inventory),
        read_lines(&image.join("expected/dpkg.txt"))
    );
    assert!(
        !dpkg_lines(inventory)
            .iter()
            .any(|l| l.starts_with("e2fsprogs "))
    );
    assert!(
        dpkg_lines(inventory)
            .iter()
            .any(|l| l.starts_with("libext2fs2 "))
    );

    let pip: serde_json::Value =
        serde_json::from_slice(&std::fs::read(image.join("expected/pip.json")).unwrap()).unwrap();
    let pip: BTreeSet<(String, String)> = pip
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(pip.len(), 11);
    assert_eq!(pairs(inventory, PackageKind::Python), pip);

    let npm: serde_json::Value =
        serde_json::from_slice(&std::fs::read(image.join("expected/npm.json")).unwrap()).unwrap();
    let mut npm_ls = BTreeSet::new();
    npm_ls_pairs(&npm, &mut npm_ls);
    assert!(npm_ls.contains(&("minimist".to_owned(), "0.0.8".to_owned())));
    assert_eq!(pairs(inventory, PackageKind::Npm), npm_ls);
    // Installed packages come from node_modules, not the lockfile.
    assert!(
        inventory
            .packages
            .iter()
            .filter(|p| p.kind == PackageKind::Npm)
            .all(|p| p.path.contains("/node_modules/"))
    );

    let kind = |k: PackageKind| match k {
        PackageKind::Deb => "dpkg",
        PackageKind::Python => "pypi",
        PackageKind::Npm => "npm",
        other => other.as_str(),
    };
    let ours: BTreeSet<String> = inventory
        .packages
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {}",
                kind(p.kind),
                p.name,
                p.version,
                p.layer.as_deref().unwrap()
            )
        })
        .collect();
    assert_eq!(ours, expected_attribution(&image));
    assert_eq!(inventory.os.as_ref().unwrap().id, "debian");
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

/// One image from a registry, an OCI layout and a `docker save` tarball:
/// the same inventory, byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_layout_and_archive_give_identical_inventories() {
    let Some(image) = built_image("bookworm-app") else {
        return;
    };
    let registry = LocalRegistry::start();
    push(registry.host(), "bookworm-app", "test/app:v1");
    let engine = engine(None);
    let from_registry = scan(&engine, &format!("{}/test/app:v1", registry.host())).await;
    let from_layout = scan(
        &engine,
        &format!("oci:{}:bookworm-app", image.join("oci").display()),
    )
    .await;
    let archive = image.join("docker-save.tar");
    let from_archive = scan(&engine, &format!("docker-archive:{}", archive.display())).await;

    assert!(from_registry.inventory.packages.len() > 100);
    assert_eq!(from_layout.inventory, from_registry.inventory);
    assert_eq!(from_archive.inventory, from_registry.inventory);
    let diff_ids = |s: &tagwarden_engine::engine::ScannedImage| {
        s.layers
            .iter()
            .map(|l| l.diff_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(diff_ids(&from_layout), diff_ids(&from_registry));
    assert_eq!(diff_ids(&from_archive), diff_ids(&from_registry));
    assert_eq!(from_layout.digest, from_registry.digest);
    // A path alone is recognised too.
    let by_path = scan(&engine, &archive.display().to_string()).await;
    assert_eq!(by_path.inventory, from_registry.inventory);
}

/// A multi-platform index with an attestation entry: linux/amd64 unless
/// another platform is asked for, from the registry and from the layout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_platform_index_picks_amd64_by_default_and_arm64_on_request() {
    let Some(image) = built_image("multiarch") else {
        return;
    };
    let registry = LocalRegistry::start();
    push(registry.host(), "multiarch", "test/multi:v1");
    let reference = format!("{}/test/multi:v1", registry.host());
    let layout = format!("oci:{}:multiarch", image.join("oci").display());
    let expected =
        |platform: &str| read_lines(&image.join("expected").join(platform).join("dpkg.txt"));
    let digest = |platform: &str| {
        std::fs::read_to_string(
            image
                .join("expected")
                .join(platform)
                .join("manifest-digest"),
        )
        .unwrap()
        .trim()
        .to_owned()
    };

    let default = engine(None);
    let arm = engine_for_platform("linux/arm64");
    for source in [&reference, &layout] {
        let amd64 = scan(&default, source).await;
        assert_eq!(
            dpkg_lines(&amd64.inventory),
            expected("linux-amd64"),
            "{source}"
        );
        assert_eq!(
            amd64.digest.as_deref(),
            Some(digest("linux-amd64").as_str())
        );
        assert_eq!(amd64.platform.as_deref(), Some("linux/amd64"));
        assert!(
            dpkg_lines(&amd64.inventory)
                .iter()
                .any(|l| l.starts_with("intel-microcode "))
        );

        let arm64 = scan(&arm, source).await;
        assert_eq!(
            dpkg_lines(&arm64.inventory),
            expected("linux-arm64"),
            "{source}"
        );
        assert_eq!(
            arm64.digest.as_deref(),
            Some(digest("linux-arm64").as_str())
        );
        assert!(
            dpkg_lines(&arm64.inventory)
                .iter()
                .any(|l| l.starts_with("raspi-firmware "))
        );
    }
    let s390x = engine_for_platform("linux/s390x");
    let err = s390x
        .inventory(&reference.parse().unwrap())
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("linux/s390x") && message.contains("linux/arm64"),
        "{message}"
    );
    assert!(!message.contains("unknown/unknown"), "{message}");
}

fn engine_for_platform(platform: &str) -> tagwarden_engine::engine::Engine {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    tagwarden_engine::engine::Engine::new(tagwarden_engine::engine::EngineConfig {
        platform: platform.parse().unwrap(),
        ..Default::default()
    })
    .unwrap()
}

/// A zstd-compressed layer and an uncompressed one, from the registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zstd_and_uncompressed_layers() {
    let Some(image) = built_image("zstd") else {
        return;
    };
    let registry = LocalRegistry::start();
    push(registry.host(), "zstd", "test/zstd:v1");
    let scanned = scan(&engine(None), &format!("{}/test/zstd:v1", registry.host())).await;
    let media: Vec<&str> = scanned
        .layers
        .iter()
        .map(|l| l.media_type.as_str())
        .collect();
    assert_eq!(
        media,
        [
            "application/vnd.oci.image.layer.v1.tar+zstd",
            "application/vnd.oci.image.layer.v1.tar"
        ]
    );
    assert_eq!(
        dpkg_lines(&scanned.inventory),
        read_lines(&image.join("expected/dpkg.txt"))
    );
    // Same diff id as bookworm-base's gzip layer: one uncompressed tar.
    let base_layers = read_lines(&image.join("expected/layers.txt"));
    let diff_id = base_layers
        .iter()
        .find(|l| l.starts_with("0\t"))
        .unwrap()
        .split('\t')
        .nth(2)
        .unwrap();
    assert_eq!(scanned.layers[0].diff_id, diff_id);
}

/// The package set of a real Debian 9 image (postgres:11.15-stretch, from
/// its CycloneDX SBOM), with `/etc/os-release` a symlink to
/// `/usr/lib/os-release`: followed inside the image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stretch_postgres_dpkg_and_os_through_a_symlink() {
    let Some(image) = built_image("stretch-postgres") else {
        return;
    };
    let scanned = scan(
        &engine(None),
        &format!("oci:{}:stretch-postgres", image.join("oci").display()),
    )
    .await;
    assert_eq!(
        dpkg_lines(&scanned.inventory),
        read_lines(&image.join("expected/dpkg.txt"))
    );
    assert_eq!(scanned.inventory.packages.len(), 132);
    let os = scanned.inventory.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("debian", Some("9"))
    );
    assert!(
        scanned.inventory.warnings.is_empty(),
        "{:?}",
        scanned.inventory.warnings
    );
}

/// `(binary, module, version)` from `go version -m` output (`expected/go.txt`):
/// each binary's Go version as `stdlib`, its main module (`mod`; a local
/// build's `(devel)` is no version, so it is listed without one) and its
/// `dep` lines. These binaries have no `=>` replacements.
fn go_version_m(text: &str) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let mut binary = String::new();
    for line in text.lines() {
        if let Some((path, go)) = line.split_once(": go") {
            binary = path.trim_start_matches('/').to_owned();
            out.insert((binary.clone(), "stdlib".to_owned(), format!("v{go}")));
            continue;
        }
        let fields: Vec<&str> = line.split('\t').filter(|f| !f.is_empty()).collect();
        match fields.as_slice() {
            ["mod", module, version, ..] => {
                let version = if *version == "(devel)" { "" } else { version };
                out.insert((binary.clone(), (*module).to_owned(), version.to_owned()));
            }
            ["dep", module, version, ..] => {
                out.insert((binary.clone(), (*module).to_owned(), (*version).to_owned()));
            }
            _ => {}
        }
    }
    out
}

/// Two Go binaries built with Debian's Go toolchain: each reports its Go
/// version as `stdlib` and exactly the modules `go version -m` lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_binaries_report_their_go_version_and_modules() {
    let Some(image) = built_image("go-stdlib") else {
        return;
    };
    let engine = engine(None);
    let scanned = scan(
        &engine,
        &format!("oci:{}:go-stdlib", image.join("oci").display()),
    )
    .await;

    let found: BTreeSet<(String, String, String)> = scanned
        .inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Go)
        .map(|p| {
            let binary = p.path.trim_start_matches('/').to_owned();
            (binary, p.name.clone(), p.version.clone())
        })
        .collect();
    let expected = go_version_m(&std::fs::read_to_string(image.join("expected/go.txt")).unwrap());
    assert_eq!(found, expected);
    let exact: BTreeSet<(String, String, String)> = [
        ("usr/local/bin/hello", "example.com/tagwarden/hello", ""),
        ("usr/local/bin/hello", "stdlib", "v1.19.8"),
        (
            "usr/local/bin/htmltitle",
            "example.com/tagwarden/htmltitle",
            "",
        ),
        ("usr/local/bin/htmltitle", "golang.org/x/net", "v0.7.0"),
        ("usr/local/bin/htmltitle", "stdlib", "v1.19.8"),
    ]
    .into_iter()
    .map(|(b, m, v)| (b.to_owned(), m.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(found, exact);
}
