//! What the engine's integration tests share: where the real fixtures and
//! built images are, starting the engine, and turning inventories into
//! lines that compare with the reference tools' output.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use tagwarden_engine::engine::{Engine, EngineConfig, ScannedImage};
use tagwarden_engine::inventory::{Inventory, PackageKind};
use tagwarden_engine::source::ImageSource;

/// `../shared/vulndata` beside the clone (or `$TAGWARDEN_SHARED/vulndata`).
pub fn vulndata() -> PathBuf {
    let shared = std::env::var_os("TAGWARDEN_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    );
    shared.join("vulndata")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether every tool is on `PATH`; says loudly which are missing.
pub fn have_tools(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "\n!!!!!!!! SKIPPED: missing tools {missing:?} (infra/local/deps.sh installs them); \
             this test proves nothing on this machine !!!!!!!!\n"
        );
    }
    missing.is_empty()
}

/// Builds (or finds cached) the image `name` with `infra/images/build.sh`
/// and returns its cache directory (`oci/`, `expected/`). `None`, loudly,
/// when the build tools are missing; a failed build fails the test.
pub fn built_image(name: &str) -> Option<PathBuf> {
    if !have_tools(&[
        "umoci",
        "skopeo",
        "mmdebstrap",
        "dpkg-query",
        "python3",
        "npm",
        "go",
    ]) {
        return None;
    }
    let out = Command::new("bash")
        .arg(repo_root().join("infra/images/build.sh"))
        .arg(name)
        .output()
        .expect("run infra/images/build.sh");
    assert!(
        out.status.success(),
        "infra/images/build.sh {name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cache = std::env::var_os("TAGWARDEN_IMAGE_CACHE").map_or_else(
        || PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/tagwarden/images"),
        PathBuf::from,
    );
    Some(cache.join(name))
}

/// Pushes built image `name` to `host` as `repo_tag`, digests preserved.
pub fn push(host: &str, name: &str, repo_tag: &str) {
    let out = Command::new("bash")
        .arg(repo_root().join("infra/images/push.sh"))
        .arg(host)
        .arg(format!("{name}={repo_tag}"))
        .output()
        .expect("run infra/images/push.sh");
    assert!(
        out.status.success(),
        "push.sh {name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An engine with default analyzers, caching in `cache` if given.
pub fn engine(cache: Option<&Path>) -> Engine {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    Engine::new(EngineConfig {
        cache_dir: cache.map(Path::to_owned),
        ..EngineConfig::default()
    })
    .expect("engine")
}

/// Scans `source` (a string as the CLI takes it).
pub async fn scan(engine: &Engine, source: &str) -> ScannedImage {
    let source: ImageSource = source.parse().expect("image source");
    match engine.inventory(&source).await {
        Ok(scanned) => scanned,
        Err(e) => panic!("scan of {source} failed: {e}"),
    }
}

/// `name version source source-version` per deb package, sorted as
/// `LC_ALL=C sort` sorts: the format of `expected/dpkg.txt`.
pub fn dpkg_lines(inventory: &Inventory) -> Vec<String> {
    let mut lines: Vec<String> = inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Deb)
        .map(|p| {
            format!(
                "{} {} {} {}",
                p.name,
                p.version,
                p.source_or_name(),
                p.source_version_or_version()
            )
        })
        .collect();
    lines.sort();
    lines
}

/// Distinct `name version` pairs of one kind.
pub fn pairs(inventory: &Inventory, kind: PackageKind) -> BTreeSet<(String, String)> {
    inventory
        .packages
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

/// Lines of a text file, trailing newline ignored.
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A tar of `(name, contents)` regular files; names written raw, so a
/// test can write names the `tar` crate's setters refuse (`../x`).
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// One layer of a hand-made layout: media type, blob, and the diff id the
/// config claims for it.
pub struct RawLayer {
    pub media_type: &'static str,
    pub blob: Vec<u8>,
    pub diff_id: String,
}

impl RawLayer {
    /// A gzip layer of `tar`, with its true diff id.
    pub fn gzip(tar: &[u8]) -> Self {
        RawLayer {
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
            blob: gzip(tar),
            diff_id: sha256(tar),
        }
    }
}

/// Writes an OCI layout holding one image tagged `test` made of `layers`
/// (blobs written as given, digests computed over them), and returns the
/// manifest's digest. `manifest_override` replaces the manifest JSON.
pub fn write_layout(
    dir: &Path,
    layers: &[RawLayer],
    manifest_override: Option<serde_json::Value>,
) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let digest = sha256(bytes);
        std::fs::write(blobs.join(&digest[7..]), bytes).unwrap();
        (digest, bytes.len())
    };
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
    });
    let (config_digest, config_size) = put(&serde_json::to_vec(&config).unwrap());
    let layer_descriptors: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            let (digest, size) = put(&l.blob);
            serde_json::json!({"mediaType": l.media_type, "digest": digest, "size": size})
        })
        .collect();
    let manifest = manifest_override.unwrap_or_else(|| {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
            "layers": layer_descriptors,
        })
    });
    let (manifest_digest, manifest_size) = put(&serde_json::to_vec(&manifest).unwrap());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "test"},
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    manifest_digest
}
