//! The JSON documents of OCI layouts and `docker save` archives, parsed
//! into what the engine needs, and picking one image out of an index. Pure
//! functions over bytes; the providers do the reading.

use std::collections::BTreeMap;

use serde::Deserialize;
use tagwarden_registry::Platform;

pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// A descriptor in an index, manifest or layout.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    #[serde(default)]
    pub(crate) media_type: String,
    pub(crate) digest: String,
    #[serde(default)]
    pub(crate) platform: Option<PlatformJson>,
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PlatformJson {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl PlatformJson {
    fn platform(&self) -> Platform {
        Platform::new(&self.os, &self.architecture, self.variant.as_deref())
    }
}

impl Descriptor {
    pub(crate) fn is_index(&self) -> bool {
        self.media_type == OCI_INDEX || self.media_type == DOCKER_LIST
    }

    /// BuildKit's attestation manifests: `unknown/unknown`, annotated.
    fn is_attestation(&self) -> bool {
        let unknown = self
            .platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
        let annotated = self
            .annotations
            .get("vnd.docker.reference.type")
            .is_some_and(|v| v == "attestation-manifest");
        unknown || annotated
    }

    pub(crate) fn platform(&self) -> Option<Platform> {
        self.platform.as_ref().map(PlatformJson::platform)
    }

    /// The tag this layout entry carries, if any.
    fn ref_name(&self) -> Option<&str> {
        self.annotations.get(REF_NAME).map(String::as_str)
    }

    fn matches_tag(&self, tag: &str) -> bool {
        self.ref_name() == Some(tag)
            || self.annotations.get(CONTAINERD_NAME).is_some_and(|name| {
                name == tag
                    || name.ends_with(&format!(":{tag}"))
                    || name.ends_with(&format!("/{tag}"))
            })
    }
}

#[derive(Debug, Deserialize)]
struct IndexJson {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// The entries of an `index.json` or an image index blob.
pub(crate) fn parse_index(bytes: &[u8]) -> Result<Vec<Descriptor>, String> {
    serde_json::from_slice::<IndexJson>(bytes)
        .map(|i| i.manifests)
        .map_err(|e| format!("invalid index: {e}"))
}

/// The layout entries for `tag`, or all of them without a tag. Errors name
/// the tags on offer.
pub(crate) fn entries_for_tag(
    entries: Vec<Descriptor>,
    tag: Option<&str>,
) -> Result<Vec<Descriptor>, String> {
    let Some(tag) = tag else {
        return Ok(entries);
    };
    let offered: Vec<String> = entries
        .iter()
        .filter_map(|e| e.ref_name().map(str::to_owned))
        .collect();
    let chosen: Vec<Descriptor> = entries.into_iter().filter(|e| e.matches_tag(tag)).collect();
    if chosen.is_empty() {
        return Err(format!(
            "no image tagged {tag:?} (tags: {})",
            offered.join(", ")
        ));
    }
    Ok(chosen)
}

/// Picks one image for `wanted` from `entries` (after following nested
/// indexes), skipping attestations. A single entry without a platform is
/// taken as is: a layout holding one image need not say what it runs on.
/// `Err` lists the platforms on offer.
pub(crate) fn pick_platform(
    entries: &[Descriptor],
    wanted: &Platform,
) -> Result<Descriptor, Vec<String>> {
    let images: Vec<&Descriptor> = entries.iter().filter(|e| !e.is_attestation()).collect();
    if let [only] = images.as_slice()
        && only.platform.is_none()
    {
        return Ok((*only).clone());
    }
    let same = |p: &Platform| p.os() == wanted.os() && p.architecture() == wanted.architecture();
    let variant = |p: &Platform| match (p.architecture(), p.variant()) {
        ("arm64", None) => Some("v8".to_owned()),
        ("arm", None) => Some("v7".to_owned()),
        ("amd64", Some("v1")) => None,
        (_, v) => v.map(str::to_owned),
    };
    let exact = images.iter().find(|e| {
        e.platform()
            .is_some_and(|p| same(&p) && variant(&p) == variant(wanted))
    });
    let loose = || {
        wanted
            .variant()
            .is_none()
            .then(|| {
                images
                    .iter()
                    .find(|e| e.platform().is_some_and(|p| same(&p)))
            })
            .flatten()
    };
    match exact.or_else(loose) {
        Some(entry) => Ok((*entry).clone()),
        None => Err(images
            .iter()
            .filter_map(|e| e.platform())
            .map(|p| p.to_string())
            .collect()),
    }
}

/// An image manifest: config and layers.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub(crate) config: Descriptor,
    pub(crate) layers: Vec<Descriptor>,
}

/// Why a manifest cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ManifestProblem {
    Schema1,
    MediaType(String),
    Invalid(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestJson {
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// Parses an image manifest; `declared` is the media type its descriptor
/// gave, used when the manifest does not say.
pub(crate) fn parse_manifest(bytes: &[u8], declared: &str) -> Result<Manifest, ManifestProblem> {
    let json: ManifestJson = serde_json::from_slice(bytes)
        .map_err(|e| ManifestProblem::Invalid(format!("invalid manifest: {e}")))?;
    if json.schema_version == Some(1) {
        return Err(ManifestProblem::Schema1);
    }
    let media_type = json
        .media_type
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| declared.to_owned());
    if !media_type.is_empty() && media_type != OCI_MANIFEST && media_type != DOCKER_MANIFEST {
        return Err(ManifestProblem::MediaType(media_type));
    }
    let config = json
        .config
        .ok_or_else(|| ManifestProblem::Invalid("manifest has no config".to_owned()))?;
    Ok(Manifest {
        config,
        layers: json.layers,
    })
}

/// What the engine needs from an image config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageConfig {
    pub(crate) diff_ids: Vec<String>,
    pub(crate) platform: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ConfigJson {
    rootfs: Option<RootFs>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

/// Parses an image config.
pub(crate) fn parse_config(bytes: &[u8]) -> Result<ImageConfig, String> {
    let json: ConfigJson =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid image config: {e}"))?;
    let rootfs = json.rootfs.ok_or("image config has no rootfs")?;
    let platform = match (json.os, json.architecture) {
        (Some(os), Some(arch)) => {
            Some(Platform::new(&os, &arch, json.variant.as_deref()).to_string())
        }
        _ => None,
    };
    Ok(ImageConfig {
        diff_ids: rootfs.diff_ids,
        platform,
    })
}

/// One image of a classic `docker save` archive's `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ArchiveImage {
    pub(crate) config: String,
    #[serde(default)]
    pub(crate) repo_tags: Option<Vec<String>>,
    pub(crate) layers: Vec<String>,
}

/// Picks the image for `reference` (a `RepoTags` entry, or its tag alone)
/// from `manifest.json`, or the only image without one.
pub(crate) fn pick_archive_image(
    bytes: &[u8],
    reference: Option<&str>,
) -> Result<ArchiveImage, String> {
    let images: Vec<ArchiveImage> =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid manifest.json: {e}"))?;
    let tags = |i: &ArchiveImage| i.repo_tags.clone().unwrap_or_default();
    let all_tags: Vec<String> = images.iter().flat_map(tags).collect();
    match reference {
        Some(wanted) => images
            .into_iter()
            .find(|i| {
                tags(i).iter().any(|t| {
                    t == wanted || t.rsplit_once(':').is_some_and(|(_, tag)| tag == wanted)
                })
            })
            .ok_or_else(|| {
                format!(
                    "no image {wanted:?} in the archive (it has: {})",
                    all_tags.join(", ")
                )
            }),
        None if images.len() == 1 => Ok(images.into_iter().next().ok_or("empty manifest.json")?),
        None => Err(format!(
            "the archive holds {} images; name one of: {}",
            images.len(),
            all_tags.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests;
