//! [`ScanError`]: why an image could not be turned into an inventory.
//! Every variant names the image, so a message alone tells an operator
//! which image failed and why.

use std::io;

use tagwarden_registry::{BlobError, ManifestError, UnsupportedManifest};

/// Why a scan failed. Callers act on the variant (retry `Unavailable`,
/// report `NotFound` and `Unauthorized` to the user, treat the rest as a
/// broken image); the message is for people.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The image, tag, digest, layout tag or archive member does not exist.
    #[error("image {image} not found: {detail}")]
    NotFound {
        /// The image as asked for.
        image: String,
        /// What was missing.
        detail: String,
    },
    /// The registry refused the credentials, or gave no access.
    #[error("access to image {image} was refused: {detail}")]
    Unauthorized {
        /// The image as asked for.
        image: String,
        /// What the registry said.
        detail: String,
    },
    /// A Docker schema 1 manifest, which describes layers without content
    /// digests and is not read.
    #[error(
        "image {image} has a Docker schema 1 manifest, which is not supported; \
         push it again with a current Docker, Podman or skopeo"
    )]
    Schema1 {
        /// The image as asked for.
        image: String,
    },
    /// A manifest or layer of a kind the engine does not read.
    #[error("image {image}: {what} has media type {media_type}, which is not supported")]
    UnsupportedMediaType {
        /// The image as asked for.
        image: String,
        /// Which part (`manifest`, `layer 2 (sha256:…)`).
        what: String,
        /// The media type found.
        media_type: String,
    },
    /// An index without an image for the wanted platform.
    #[error("image {image} has no image for platform {wanted}; it offers {offered}")]
    PlatformNotFound {
        /// The image as asked for.
        image: String,
        /// The platform asked for.
        wanted: String,
        /// The platforms on offer, comma separated.
        offered: String,
    },
    /// Bytes that do not hash to the digest that names them: a manifest,
    /// config or layer blob, or a layer's uncompressed tar (diff id).
    #[error("image {image}: {what} does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The image as asked for.
        image: String,
        /// Which part (`layer 1 blob`, `layer 1 diff id`).
        what: String,
        /// The digest it should have.
        expected: String,
        /// The digest of the bytes read.
        actual: String,
    },
    /// A layer that cannot be decompressed or read as tar (truncated gzip,
    /// mislabelled compression, broken tar).
    #[error("image {image}: layer {layer} is corrupt: {detail}")]
    CorruptLayer {
        /// The image as asked for.
        image: String,
        /// The layer's blob digest.
        layer: String,
        /// What was wrong.
        detail: String,
    },
    /// A tar entry, or a link's target, outside the image root.
    #[error(
        "image {image}: layer {layer} has entry {entry:?} that escapes the image root ({detail})"
    )]
    PathEscape {
        /// The image as asked for.
        image: String,
        /// The layer's blob digest.
        layer: String,
        /// The entry's name as written in the tar.
        entry: String,
        /// How it escapes.
        detail: String,
    },
    /// A manifest, config, index or archive that is malformed.
    #[error("image {image} is invalid: {detail}")]
    InvalidImage {
        /// The image as asked for.
        image: String,
        /// What was wrong.
        detail: String,
    },
    /// The registry kept failing, or the download broke off; worth a retry.
    #[error("image {image} could not be downloaded: {detail}")]
    Unavailable {
        /// The image as asked for.
        image: String,
        /// The last failure.
        detail: String,
    },
    /// A local file (layout, archive) could not be read.
    #[error("image {image}: could not read {path}")]
    Io {
        /// The image as asked for.
        image: String,
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl ScanError {
    /// Classifies a registry manifest error for `image`.
    pub(crate) fn from_manifest(image: &str, e: ManifestError) -> Self {
        let image = image.to_owned();
        let detail = e.to_string();
        match e {
            ManifestError::NotFound { .. } => ScanError::NotFound { image, detail },
            ManifestError::Unauthorized { .. } | ManifestError::Credentials { .. } => {
                ScanError::Unauthorized { image, detail }
            }
            ManifestError::Unsupported {
                what: UnsupportedManifest::Schema1,
                ..
            } => ScanError::Schema1 { image },
            ManifestError::Unsupported {
                what: UnsupportedManifest::MediaType(media_type),
                ..
            } => ScanError::UnsupportedMediaType {
                image,
                what: "manifest".to_owned(),
                media_type,
            },
            ManifestError::PlatformNotFound {
                wanted, offered, ..
            } => ScanError::PlatformNotFound {
                image,
                wanted: wanted.to_string(),
                offered: offered
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            ManifestError::DigestMismatch {
                expected, actual, ..
            } => ScanError::DigestMismatch {
                image,
                what: "manifest".to_owned(),
                expected: expected.to_string(),
                actual: actual.to_string(),
            },
            ManifestError::Unavailable { .. } => ScanError::Unavailable { image, detail },
            _ => ScanError::InvalidImage { image, detail },
        }
    }

    /// Classifies a registry blob error for `image`; `what` names the blob.
    pub(crate) fn from_blob(image: &str, what: &str, e: BlobError) -> Self {
        let image = image.to_owned();
        let detail = e.to_string();
        match e {
            BlobError::NotFound { .. } => ScanError::NotFound { image, detail },
            BlobError::Unauthorized { .. } | BlobError::Credentials { .. } => {
                ScanError::Unauthorized { image, detail }
            }
            BlobError::DigestMismatch { digest, actual, .. } => ScanError::DigestMismatch {
                image,
                what: what.to_owned(),
                expected: digest.to_string(),
                actual,
            },
            BlobError::Unavailable { .. } | BlobError::Interrupted { .. } => {
                ScanError::Unavailable { image, detail }
            }
            _ => ScanError::InvalidImage { image, detail },
        }
    }

    /// The image the error is about.
    pub fn image(&self) -> &str {
        match self {
            ScanError::NotFound { image, .. }
            | ScanError::Unauthorized { image, .. }
            | ScanError::Schema1 { image }
            | ScanError::UnsupportedMediaType { image, .. }
            | ScanError::PlatformNotFound { image, .. }
            | ScanError::DigestMismatch { image, .. }
            | ScanError::CorruptLayer { image, .. }
            | ScanError::PathEscape { image, .. }
            | ScanError::InvalidImage { image, .. }
            | ScanError::Unavailable { image, .. }
            | ScanError::Io { image, .. } => image,
        }
    }
}
