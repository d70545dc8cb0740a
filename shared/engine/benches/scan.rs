//! Cold and warm scans of the bookworm minbase image from a local
//! registry, beside the lower bound of merely downloading and
//! decompressing its layers (`curl … | gzip -dc > /dev/null`).
//!
//! `cargo bench -p tagwarden-engine --bench scan`. Needs the image tools
//! (infra/images) and Debian's docker-registry; says so and does nothing
//! without them.
//!
//! Criterion does not measure peak memory. The CLI runs the same engine,
//! so GNU time's "Maximum resident set size" of a cold scan of the image
//! this benchmark builds is the figure (from the repository root, after a
//! first `cargo bench` or `infra/images/build.sh bookworm-base`):
//!
//! ```text
//! cargo build --release -p tagwardenctl
//! /usr/bin/time -v "${CARGO_TARGET_DIR:-target}/release/tagwardenctl" scan \
//!     "oci:$HOME/.cache/tagwarden/images/bookworm-base/oci:bookworm-base" --no-cache
//! ```
//!
//! That reads the OCI layout directly; to include the pull, push it with
//! `infra/images/push.sh HOST bookworm-base=bench/bookworm:v1` and scan
//! `HOST/bench/bookworm:v1` instead.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tagwarden_engine::engine::{Engine, EngineConfig};
use tagwarden_engine::source::ImageSource;
use tagwarden_testkit::LocalRegistry;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tools_present() -> bool {
    [
        "umoci",
        "skopeo",
        "mmdebstrap",
        "docker-registry",
        "curl",
        "gzip",
    ]
    .iter()
    .all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn run(script: &str, args: &[&str]) {
    let out = Command::new("bash")
        .arg(repo_root().join(script))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn engine(cache: Option<&Path>) -> Engine {
    Engine::new(EngineConfig {
        cache_dir: cache.map(Path::to_owned),
        ..EngineConfig::default()
    })
    .unwrap()
}

/// The layer blob digests of the pushed image, from the build's record.
fn layer_digests() -> Vec<String> {
    let home = std::env::var("HOME").unwrap();
    let cache =
        std::env::var("TAGWARDEN_IMAGE_CACHE").unwrap_or(format!("{home}/.cache/tagwarden/images"));
    std::fs::read_to_string(format!("{cache}/bookworm-base/expected/layers.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').nth(1).unwrap().to_owned())
        .collect()
}

fn bench(c: &mut Criterion) {
    if !tools_present() {
        eprintln!(
            "!!!!!!!! scan benchmark skipped: image tools or docker-registry missing !!!!!!!!"
        );
        return;
    }
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    run("infra/images/build.sh", &["bookworm-base"]);
    let registry = LocalRegistry::start();
    let host = registry.host().to_owned();
    run(
        "infra/images/push.sh",
        &[&host, "bookworm-base=bench/bookworm:v1"],
    );
    run(
        "infra/images/push.sh",
        &[&host, "bookworm-base=bench/bookworm:v2"],
    );
    let v1: ImageSource = format!("{host}/bench/bookworm:v1").parse().unwrap();
    let v2: ImageSource = format!("{host}/bench/bookworm:v2").parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut group = c.benchmark_group("bookworm-base");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));

    let digests = layer_digests();
    group.bench_function("curl | gzip -dc (lower bound)", |b| {
        b.iter(|| {
            for digest in &digests {
                let url = format!("http://{host}/v2/bench/bookworm/blobs/{digest}");
                let status = Command::new("sh")
                    .args(["-c", &format!("curl -fsS '{url}' | gzip -dc > /dev/null")])
                    .status()
                    .unwrap();
                assert!(status.success());
            }
        });
    });

    group.bench_function("cold scan", |b| {
        b.iter(|| {
            let cache = tempfile::tempdir().unwrap();
            let scanned = runtime
                .block_on(engine(Some(cache.path())).inventory(&v1))
                .unwrap();
            assert!(scanned.inventory.packages.len() > 80);
        });
    });

    let cache = tempfile::tempdir().unwrap();
    let warm = engine(Some(cache.path()));
    runtime.block_on(warm.inventory(&v1)).unwrap();
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("warm scan of a retag", |b| {
        b.iter(|| {
            let scanned = runtime.block_on(warm.inventory(&v2)).unwrap();
            assert!(scanned.layers.iter().all(|l| l.from_cache));
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
