//! Multi-platform indexes, written as an OCI layout, with an optional
//! BuildKit-style attestation entry.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::image::OciImage;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// `sha256:<hex>` of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl OciImage {
    /// An index of `images`, each with its platform written `os/arch` or
    /// `os/arch/variant` (e.g. `linux/arm64/v8`). With `attestation`, an
    /// in-toto SBOM manifest for the first image is added the way BuildKit
    /// adds them: platform `unknown/unknown` and the annotation
    /// `vnd.docker.reference.type: attestation-manifest`.
    pub fn index(images: &[(&OciImage, &str)], attestation: bool) -> OciImage {
        let work = tempfile::tempdir().expect("temporary directory");
        let layout = work.path().join("layout");
        let blobs = layout.join("blobs/sha256");
        fs::create_dir_all(&blobs).expect("layout directories");
        fs::write(
            layout.join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .expect("oci-layout");
        let mut entries = Vec::new();
        for (image, platform) in images {
            copy_blobs(&image.layout_dir().join("blobs/sha256"), &blobs);
            let (media_type, digest, size) = image.descriptor();
            entries.push(json!({
                "mediaType": media_type,
                "digest": digest,
                "size": size,
                "platform": platform_json(platform),
            }));
        }
        if attestation {
            let subject = entries.first().expect("at least one image")["digest"].clone();
            entries.push(attestation_entry(&blobs, subject));
        }
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries });
        let (digest, size) = write_blob(&blobs, &index);
        let top = json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": OCI_INDEX,
                "digest": digest,
                "size": size,
                "annotations": { "org.opencontainers.image.ref.name": "image" },
            }],
        });
        fs::write(layout.join("index.json"), top.to_string()).expect("index.json");
        OciImage::from_layout(work, layout, true)
    }
}

fn platform_json(platform: &str) -> Value {
    match platform.split('/').collect::<Vec<_>>().as_slice() {
        [os, arch] => json!({ "os": os, "architecture": arch }),
        [os, arch, variant] => json!({ "os": os, "architecture": arch, "variant": variant }),
        _ => panic!("platform {platform:?} is not os/arch[/variant]"),
    }
}

/// An in-toto SPDX statement as one layer, with the config BuildKit
/// writes for attestations.
fn attestation_entry(blobs: &Path, subject: Value) -> Value {
    let hex = subject
        .as_str()
        .and_then(|d| d.strip_prefix("sha256:"))
        .unwrap_or_default();
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{ "name": "_", "digest": { "sha256": hex } }],
        "predicate": { "spdxVersion": "SPDX-2.3" },
    });
    let (layer, layer_size) = write_blob(blobs, &statement);
    let config = json!({
        "architecture": "unknown",
        "os": "unknown",
        "config": {},
        "rootfs": { "type": "layers", "diff_ids": [layer] },
    });
    let (config, config_size) = write_blob(blobs, &config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config,
            "size": config_size,
        },
        "layers": [{
            "mediaType": "application/vnd.in-toto+json",
            "digest": layer,
            "size": layer_size,
            "annotations": { "in-toto.io/predicate-type": "https://spdx.dev/Document" },
        }],
    });
    let (digest, size) = write_blob(blobs, &manifest);
    json!({
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": size,
        "platform": { "os": "unknown", "architecture": "unknown" },
        "annotations": {
            "vnd.docker.reference.digest": subject,
            "vnd.docker.reference.type": "attestation-manifest",
        },
    })
}

fn write_blob(blobs: &Path, value: &Value) -> (String, u64) {
    let bytes = value.to_string().into_bytes();
    let digest = sha256(&bytes);
    let hex = digest.trim_start_matches("sha256:");
    fs::write(blobs.join(hex), &bytes).expect("write blob");
    (digest, bytes.len() as u64)
}

fn copy_blobs(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("blobs directory") {
        let entry = entry.expect("blob entry");
        let target = to.join(entry.file_name());
        if !target.exists() {
            fs::copy(entry.path(), target).expect("copy blob");
        }
    }
}
