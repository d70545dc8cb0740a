//! The manifest model callers see, and the pure parsing of manifest bodies
//! into it. oci-client's serde types do the JSON; this module decides what
//! kind of document it is and validates every digest once.

use std::collections::BTreeMap;

use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageIndex, OciImageManifest,
};

use crate::digest::Digest;
use crate::platform::Platform;
use crate::reference::ImageReference;

/// Docker schema 1 media types: refused, but named in `Accept` so a
/// registry that only has schema 1 answers with it and we can say so.
const SCHEMA1_TYPES: [&str; 2] = [
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
];

/// The `Accept` header for manifest requests.
pub(crate) fn accept_header() -> String {
    [
        OCI_IMAGE_INDEX_MEDIA_TYPE,
        IMAGE_MANIFEST_LIST_MEDIA_TYPE,
        OCI_IMAGE_MEDIA_TYPE,
    ]
    .into_iter()
    .chain([IMAGE_MANIFEST_MEDIA_TYPE])
    .chain(SCHEMA1_TYPES)
    .collect::<Vec<_>>()
    .join(", ")
}

/// A pointer to a blob or manifest: what it is, its digest and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// The media type, e.g. `application/vnd.oci.image.layer.v1.tar+gzip`.
    pub media_type: String,
    /// The content digest, checked when the content is fetched.
    pub digest: Digest,
    /// The size in bytes; fetching more than this is an error.
    pub size: u64,
    /// Annotations, empty when there are none.
    pub annotations: BTreeMap<String, String>,
}

/// An image manifest (OCI, or Docker v2 schema 2): a config and layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageManifest {
    /// The manifest's media type (OCI or Docker schema 2).
    pub media_type: String,
    /// The image config blob.
    pub config: Descriptor,
    /// The layers, base first.
    pub layers: Vec<Descriptor>,
}

/// An image resolved to one platform's manifest.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// The reference as asked for.
    pub image: ImageReference,
    /// Digest of the image manifest that was pulled.
    pub digest: Digest,
    /// Digest of the index the reference pointed at, if it pointed at one.
    pub index_digest: Option<Digest>,
    /// The platform picked from the index, if there was an index.
    pub platform: Option<Platform>,
    /// The manifest itself.
    pub manifest: ImageManifest,
}

impl ResolvedImage {
    /// The reference pinned to the pulled manifest's digest, for fetching
    /// blobs and for reports that must say exactly what was scanned.
    pub fn pinned(&self) -> ImageReference {
        self.image.with_digest(self.digest.clone())
    }
}

/// One entry of an image index.
#[derive(Debug, Clone)]
pub(crate) struct IndexEntry {
    pub(crate) descriptor: Descriptor,
    pub(crate) platform: Option<Platform>,
}

/// What a manifest body turned out to be.
#[derive(Debug)]
pub(crate) enum Parsed {
    Image(ImageManifest),
    Index(Vec<IndexEntry>),
}

/// Why a manifest body cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParseProblem {
    Schema1,
    MediaType(String),
    Invalid(String),
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Versioned {
    schema_version: Option<i64>,
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
}

/// Whether a body is a Docker schema 1 manifest. Checked before the
/// digest, since a signed schema 1 body never matches the digest the
/// registry announces (that covers the payload without signatures).
pub(crate) fn is_schema1(body: &[u8], content_type: Option<&str>) -> bool {
    let content_type = content_type.map(|c| c.split(';').next().unwrap_or(c).trim());
    let version = serde_json::from_slice::<Versioned>(body)
        .ok()
        .and_then(|v| v.schema_version);
    version == Some(1) || content_type.is_some_and(|c| SCHEMA1_TYPES.contains(&c))
}

/// Parses a manifest body. The body's own `mediaType` wins over the
/// response's `Content-Type`; when both are missing (allowed by OCI) the
/// document's shape decides.
pub(crate) fn parse(body: &[u8], content_type: Option<&str>) -> Result<Parsed, ParseProblem> {
    if is_schema1(body, content_type) {
        return Err(ParseProblem::Schema1);
    }
    let head: Versioned = serde_json::from_slice(body)
        .map_err(|e| ParseProblem::Invalid(format!("manifest is not JSON: {e}")))?;
    let content_type = content_type.map(|c| c.split(';').next().unwrap_or(c).trim());
    if head.schema_version != Some(2) {
        return Err(ParseProblem::Invalid("schemaVersion is not 2".to_owned()));
    }
    let known = |t: &str| {
        [OCI_IMAGE_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE]
            .into_iter()
            .chain([OCI_IMAGE_INDEX_MEDIA_TYPE, IMAGE_MANIFEST_LIST_MEDIA_TYPE])
            .any(|k| k == t)
    };
    let media_type = head
        .media_type
        .or_else(|| content_type.filter(|c| known(c)).map(str::to_owned))
        .unwrap_or_else(|| match head.manifests {
            Some(_) => OCI_IMAGE_INDEX_MEDIA_TYPE.to_owned(),
            None => OCI_IMAGE_MEDIA_TYPE.to_owned(),
        });
    let invalid = |e: serde_json::Error| ParseProblem::Invalid(e.to_string());
    match media_type.as_str() {
        OCI_IMAGE_MEDIA_TYPE | IMAGE_MANIFEST_MEDIA_TYPE => {
            let manifest: OciImageManifest = serde_json::from_slice(body).map_err(invalid)?;
            image(manifest, media_type).map(Parsed::Image)
        }
        OCI_IMAGE_INDEX_MEDIA_TYPE | IMAGE_MANIFEST_LIST_MEDIA_TYPE => {
            let index: OciImageIndex = serde_json::from_slice(body).map_err(invalid)?;
            index_entries(index).map(Parsed::Index)
        }
        other => Err(ParseProblem::MediaType(other.to_owned())),
    }
}

fn image(manifest: OciImageManifest, media_type: String) -> Result<ImageManifest, ParseProblem> {
    Ok(ImageManifest {
        media_type,
        config: descriptor(manifest.config)?,
        layers: manifest
            .layers
            .into_iter()
            .map(descriptor)
            .collect::<Result<_, _>>()?,
    })
}

fn index_entries(index: OciImageIndex) -> Result<Vec<IndexEntry>, ParseProblem> {
    index
        .manifests
        .into_iter()
        .map(|entry| {
            let platform = entry.platform.map(|p| {
                Platform::new(
                    &p.os.to_string(),
                    &p.architecture.to_string(),
                    p.variant.as_deref(),
                )
            });
            let descriptor = descriptor(OciDescriptor {
                media_type: entry.media_type,
                digest: entry.digest,
                size: entry.size,
                annotations: entry.annotations,
                ..OciDescriptor::default()
            })?;
            Ok(IndexEntry {
                descriptor,
                platform,
            })
        })
        .collect()
}

fn descriptor(d: OciDescriptor) -> Result<Descriptor, ParseProblem> {
    let digest = d
        .digest
        .parse()
        .map_err(|e| ParseProblem::Invalid(format!("{e}")))?;
    let size = u64::try_from(d.size)
        .map_err(|_| ParseProblem::Invalid(format!("negative size for {}", d.digest)))?;
    Ok(Descriptor {
        media_type: d.media_type,
        digest,
        size,
        annotations: d.annotations.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn image_json(media_type: Option<&str>) -> String {
        let mt = media_type
            .map(|m| format!(r#""mediaType":"{m}","#))
            .unwrap_or_default();
        format!(
            r#"{{"schemaVersion":2,{mt}"config":{{"mediaType":"c","digest":"{D1}","size":2}},
            "layers":[{{"mediaType":"l","digest":"{D2}","size":3}}]}}"#
        )
    }

    #[test]
    fn parses_oci_and_docker_image_manifests() {
        for mt in [OCI_IMAGE_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE] {
            let Ok(Parsed::Image(m)) = parse(image_json(Some(mt)).as_bytes(), None) else {
                panic!("{mt} not parsed as an image");
            };
            assert_eq!(m.media_type, mt);
            assert_eq!(m.config.digest.to_string(), D1);
            assert_eq!(
                (m.layers[0].digest.to_string(), m.layers[0].size),
                (D2.to_owned(), 3)
            );
        }
    }

    #[test]
    fn falls_back_to_content_type_then_shape() {
        let body = image_json(None);
        let Ok(Parsed::Image(m)) = parse(body.as_bytes(), Some(IMAGE_MANIFEST_MEDIA_TYPE)) else {
            panic!("not an image");
        };
        assert_eq!(m.media_type, IMAGE_MANIFEST_MEDIA_TYPE);
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"m","digest":"{D1}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#
        );
        let Ok(Parsed::Index(entries)) = parse(index.as_bytes(), None) else {
            panic!("not an index");
        };
        assert_eq!(
            entries[0].platform.as_ref().unwrap().to_string(),
            "linux/arm64/v8"
        );
    }

    #[test]
    fn refuses_schema1_unknown_types_and_bad_digests() {
        let schema1 = br#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#;
        assert_eq!(parse(schema1, None).unwrap_err(), ParseProblem::Schema1);
        let ct = Some("application/vnd.docker.distribution.manifest.v1+prettyjws");
        assert_eq!(parse(b"{}", ct).unwrap_err(), ParseProblem::Schema1);
        let helm = image_json(Some("application/vnd.cncf.helm.chart"));
        assert!(matches!(
            parse(helm.as_bytes(), None),
            Err(ParseProblem::MediaType(_))
        ));
        let bad = image_json(None).replace(D2, "sha256:nothex");
        assert!(matches!(
            parse(bad.as_bytes(), None),
            Err(ParseProblem::Invalid(_))
        ));
        assert!(matches!(
            parse(b"not json", None),
            Err(ParseProblem::Invalid(_))
        ));
    }
}
