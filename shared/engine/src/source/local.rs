//! Images on local disk: an OCI layout (a directory, or the members of a
//! tarball) or a classic `docker save` archive. Both are read through
//! [`LocalFiles`], named files with a location, so the same resolution
//! code serves a directory and a tarball. Blocking I/O: the providers call
//! this on a blocking thread.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

use sha2::{Digest as _, Sha256};
use tagwarden_registry::{Digest, Platform};

use super::oci::{self, Descriptor, ManifestProblem};
use super::{BlobLocation, LayerDescriptor, Resolved};
use crate::engine::ScanError;

/// JSON documents larger than this are refused.
const JSON_LIMIT: u64 = 16 * 1024 * 1024;

/// `len` bytes at `offset` in `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) path: PathBuf,
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// Named files of a layout or archive.
pub(crate) trait LocalFiles {
    /// Where `name` (`index.json`, `blobs/sha256/…`, `abc.tar`) is, if present.
    fn locate(&self, name: &str) -> Option<Location>;
}

/// Resolution of one local image, with the image's name for errors.
pub(crate) struct Local<'a, F> {
    pub(crate) files: &'a F,
    pub(crate) image: &'a str,
}

impl<F: LocalFiles> Local<'_, F> {
    fn invalid(&self, detail: impl Into<String>) -> ScanError {
        ScanError::InvalidImage {
            image: self.image.to_owned(),
            detail: detail.into(),
        }
    }

    fn not_found(&self, detail: impl Into<String>) -> ScanError {
        ScanError::NotFound {
            image: self.image.to_owned(),
            detail: detail.into(),
        }
    }

    /// Reads a small member whole.
    fn read(&self, name: &str) -> Result<Vec<u8>, ScanError> {
        let location = self
            .files
            .locate(name)
            .ok_or_else(|| self.not_found(format!("{name} is missing")))?;
        if location.len > JSON_LIMIT {
            return Err(self.invalid(format!("{name} is {} bytes, too large", location.len)));
        }
        read_location(&location).map_err(|source| ScanError::Io {
            image: self.image.to_owned(),
            path: format!("{} ({name})", location.path.display()),
            source,
        })
    }

    /// Reads a blob named by digest and checks it hashes to that digest.
    fn blob(&self, digest: &str, what: &str) -> Result<Vec<u8>, ScanError> {
        let bytes = self.read(&blob_name(digest).map_err(|e| self.invalid(e))?)?;
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if actual != digest {
            return Err(ScanError::DigestMismatch {
                image: self.image.to_owned(),
                what: what.to_owned(),
                expected: digest.to_owned(),
                actual,
            });
        }
        Ok(bytes)
    }

    fn locate_blob(&self, name: &str) -> Result<Location, ScanError> {
        self.files
            .locate(name)
            .ok_or_else(|| self.not_found(format!("blob {name} is missing")))
    }

    /// An OCI layout: `index.json`, then the image for `tag` (or the only
    /// one) and `platform`.
    pub(crate) fn resolve_oci(
        &self,
        tag: Option<&str>,
        platform: &Platform,
    ) -> Result<Resolved, ScanError> {
        let entries = oci::parse_index(&self.read("index.json")?).map_err(|e| self.invalid(e))?;
        let named: Vec<&str> = entries
            .iter()
            .filter_map(|e| e.annotations.get("org.opencontainers.image.ref.name"))
            .map(String::as_str)
            .collect();
        if tag.is_none() {
            let mut distinct = named.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() > 1 {
                return Err(self.not_found(format!(
                    "the layout holds several images; name one of the tags: {}",
                    distinct.join(", ")
                )));
            }
        }
        let entries = oci::entries_for_tag(entries, tag).map_err(|e| self.not_found(e))?;
        let mut candidates = Vec::new();
        for entry in entries {
            if entry.is_index() {
                let nested = self.blob(&entry.digest, "image index")?;
                candidates.extend(oci::parse_index(&nested).map_err(|e| self.invalid(e))?);
            } else {
                candidates.push(entry);
            }
        }
        let chosen = oci::pick_platform(&candidates, platform).map_err(|offered| {
            ScanError::PlatformNotFound {
                image: self.image.to_owned(),
                wanted: platform.to_string(),
                offered: offered.join(", "),
            }
        })?;
        self.image_from_manifest(&chosen)
    }

    fn image_from_manifest(&self, chosen: &Descriptor) -> Result<Resolved, ScanError> {
        let bytes = self.blob(&chosen.digest, "manifest")?;
        let manifest =
            oci::parse_manifest(&bytes, &chosen.media_type).map_err(|problem| match problem {
                ManifestProblem::Schema1 => ScanError::Schema1 {
                    image: self.image.to_owned(),
                },
                ManifestProblem::MediaType(media_type) => ScanError::UnsupportedMediaType {
                    image: self.image.to_owned(),
                    what: "manifest".to_owned(),
                    media_type,
                },
                ManifestProblem::Invalid(detail) => self.invalid(detail),
            })?;
        let config = oci::parse_config(&self.blob(&manifest.config.digest, "image config")?)
            .map_err(|e| self.invalid(e))?;
        let diff_ids = self.check_layer_count(config.diff_ids, manifest.layers.len())?;
        let mut layers = Vec::new();
        for (layer, diff_id) in manifest.layers.iter().zip(diff_ids) {
            let name = blob_name(&layer.digest).map_err(|e| self.invalid(e))?;
            let location = self.locate_blob(&name)?;
            layers.push(LayerDescriptor {
                digest: layer.digest.clone(),
                media_type: layer.media_type.clone(),
                size: location.len,
                diff_id,
                verify: Some(layer.digest.clone()),
                location: location.into(),
            });
        }
        Ok(Resolved {
            digest: Some(chosen.digest.clone()),
            platform: chosen.platform().map(|p| p.to_string()).or(config.platform),
            layers,
        })
    }

    fn check_layer_count(
        &self,
        diff_ids: Vec<String>,
        layers: usize,
    ) -> Result<Vec<String>, ScanError> {
        if diff_ids.len() != layers {
            return Err(self.invalid(format!(
                "the manifest lists {layers} layers but the config {} diff ids",
                diff_ids.len()
            )));
        }
        Ok(diff_ids)
    }

    /// A classic `docker save` archive: `manifest.json`, layers named by
    /// path. Layers stored as `blobs/sha256/<hex>` are checked against that
    /// digest; others (`<id>/layer.tar`) are uncompressed, and their diff
    /// id is their digest.
    pub(crate) fn resolve_docker(&self, reference: Option<&str>) -> Result<Resolved, ScanError> {
        let image = oci::pick_archive_image(&self.read("manifest.json")?, reference)
            .map_err(|e| self.not_found(e))?;
        let config_bytes = self.read(&image.config)?;
        let config_digest = format!("sha256:{}", hex::encode(Sha256::digest(&config_bytes)));
        if let Some(named) = digest_in_name(&image.config)
            && named != config_digest
        {
            return Err(ScanError::DigestMismatch {
                image: self.image.to_owned(),
                what: format!("image config {}", image.config),
                expected: named,
                actual: config_digest,
            });
        }
        let config = oci::parse_config(&config_bytes).map_err(|e| self.invalid(e))?;
        let diff_ids = self.check_layer_count(config.diff_ids, image.layers.len())?;
        let mut layers = Vec::new();
        for (name, diff_id) in image.layers.iter().zip(diff_ids) {
            let location = self.locate_blob(name)?;
            let named = name
                .strip_prefix("blobs/")
                .and_then(|_| digest_in_name(name));
            layers.push(LayerDescriptor {
                digest: named.clone().unwrap_or_else(|| diff_id.clone()),
                media_type: String::new(),
                size: location.len,
                diff_id,
                verify: named,
                location: location.into(),
            });
        }
        Ok(Resolved {
            digest: None,
            platform: config.platform,
            layers,
        })
    }
}

impl From<Location> for BlobLocation {
    fn from(l: Location) -> Self {
        BlobLocation::File {
            path: l.path,
            offset: l.offset,
            len: l.len,
        }
    }
}

/// `blobs/<algorithm>/<hex>` for a digest, refusing anything that is not a
/// well-formed digest (so a layout cannot point outside itself).
fn blob_name(digest: &str) -> Result<String, String> {
    let parsed: Digest = digest
        .parse()
        .map_err(|e| format!("bad digest {digest:?}: {e}"))?;
    Ok(format!(
        "blobs/{}/{}",
        parsed.algorithm().name(),
        parsed.hex()
    ))
}

/// `sha256:<hex>` when a member name carries a sha256 (`<hex>.json`,
/// `blobs/sha256/<hex>`, `<hex>.tar`).
fn digest_in_name(name: &str) -> Option<String> {
    let file = name.rsplit('/').next()?;
    let stem = file.split('.').next()?;
    (stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("sha256:{stem}"))
}

/// Reads a location whole.
pub(crate) fn read_location(location: &Location) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_location(location)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens a location for streaming.
pub(crate) fn open_location(location: &Location) -> io::Result<io::Take<File>> {
    let mut file = File::open(&location.path)?;
    file.seek(SeekFrom::Start(location.offset))?;
    Ok(file.take(location.len))
}
