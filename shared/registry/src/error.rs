//! One error enum per kind of operation, each naming the image (or
//! repository) and the cause, so a caller can act on the kind and a person
//! can act on the message.

use std::fmt;

use crate::credentials::CredentialError;
use crate::digest::Digest;
use crate::host::RegistryHost;
use crate::platform::Platform;
use crate::reference::ImageReference;

/// Resolving an image to its manifest, or asking for a manifest digest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The repository or the tag/digest does not exist (HTTP 404).
    #[error("image {image} not found: the registry has no such repository, tag or digest")]
    NotFound {
        /// The image asked for.
        image: ImageReference,
    },
    /// The registry refused the credentials, or gave none enough access
    /// (HTTP 401/403, or the token endpoint said no).
    #[error("registry {registry} refused access to image {image}: {detail}")]
    Unauthorized {
        /// The image asked for.
        image: ImageReference,
        /// The registry that refused.
        registry: RegistryHost,
        /// What the registry said.
        detail: String,
    },
    /// The manifest is of a kind Tagwarden does not read.
    #[error("image {image} cannot be scanned: it uses {what}")]
    Unsupported {
        /// The image asked for.
        image: ImageReference,
        /// What kind of manifest it was.
        what: UnsupportedManifest,
    },
    /// The image is an index without an image for the wanted platform.
    #[error(
        "image {image} has no image for platform {wanted}; it offers {}",
        list(offered)
    )]
    PlatformNotFound {
        /// The image asked for.
        image: ImageReference,
        /// The platform asked for.
        wanted: Platform,
        /// The platforms the index offers, attestations left out.
        offered: Vec<Platform>,
    },
    /// The manifest bytes do not hash to the digest asked for or announced.
    #[error(
        "manifest of image {image} does not match its digest: expected {expected}, got {actual}"
    )]
    DigestMismatch {
        /// The image asked for.
        image: ImageReference,
        /// The digest the manifest should have.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// The registry kept failing (429, 5xx, connection errors) until the
    /// retries ran out, or asked for a longer pause than we wait.
    #[error("registry {registry} was unavailable for image {image}: {detail}")]
    Unavailable {
        /// The image asked for.
        image: ImageReference,
        /// The registry that failed.
        registry: RegistryHost,
        /// The last failure and the attempts made.
        detail: String,
    },
    /// The registry answered with something the protocol does not allow.
    #[error("registry {registry} sent an invalid response for image {image}: {detail}")]
    InvalidResponse {
        /// The image asked for.
        image: ImageReference,
        /// The registry that answered.
        registry: RegistryHost,
        /// What was wrong.
        detail: String,
    },
    /// The credential provider failed.
    #[error("could not get credentials to pull image {image}")]
    Credentials {
        /// The image asked for.
        image: ImageReference,
        /// The provider's error.
        #[source]
        source: CredentialError,
    },
}

/// Kinds of manifest that are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsupportedManifest {
    /// Docker image manifest schema 1, deprecated since 2017 and unable to
    /// describe layers by content digest reliably.
    Schema1,
    /// A media type that is neither an image manifest nor an index (Helm
    /// charts, WASM modules, signatures…).
    MediaType(String),
    /// An index whose chosen entry is itself an index.
    NestedIndex,
}

impl fmt::Display for UnsupportedManifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Schema1 => f.write_str(
                "a Docker schema 1 manifest, which is not supported; \
                 push the image again with a current Docker, Podman or skopeo",
            ),
            Self::MediaType(t) => write!(f, "media type {t}, which is not a container image"),
            Self::NestedIndex => f.write_str("an index nested in an index"),
        }
    }
}

/// Fetching a blob (layer or config).
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The registry has no such blob in the repository (HTTP 404).
    #[error("blob {digest} of image {image} not found in the registry")]
    NotFound {
        /// The image the blob belongs to.
        image: ImageReference,
        /// The blob's digest.
        digest: Digest,
    },
    /// The registry refused the credentials (HTTP 401/403).
    #[error("registry {registry} refused access to blob {digest} of image {image}: {detail}")]
    Unauthorized {
        /// The image the blob belongs to.
        image: ImageReference,
        /// The blob's digest.
        digest: Digest,
        /// The registry that refused.
        registry: RegistryHost,
        /// What the registry said.
        detail: String,
    },
    /// The bytes received do not hash to the blob's digest.
    #[error("blob {digest} of image {image} does not match its digest: got {actual}")]
    DigestMismatch {
        /// The image the blob belongs to.
        image: ImageReference,
        /// The digest the blob should have.
        digest: Digest,
        /// The digest of the bytes received.
        actual: String,
    },
    /// More bytes arrived than the descriptor announced, or than we accept
    /// for a blob read into memory.
    #[error("blob {digest} of image {image} is larger than {limit} bytes")]
    TooLarge {
        /// The image the blob belongs to.
        image: ImageReference,
        /// The blob's digest.
        digest: Digest,
        /// The size that was exceeded.
        limit: u64,
    },
    /// The registry kept failing until the retries ran out.
    #[error("registry {registry} was unavailable for blob {digest} of image {image}: {detail}")]
    Unavailable {
        /// The image the blob belongs to.
        image: ImageReference,
        /// The blob's digest.
        digest: Digest,
        /// The registry that failed.
        registry: RegistryHost,
        /// The last failure and the attempts made.
        detail: String,
    },
    /// The download broke off part way; nothing is retried mid-stream.
    #[error("download of blob {digest} of image {image} broke off: {detail}")]
    Interrupted {
        /// The image the blob belongs to.
        image: ImageReference,
        /// The blob's digest.
        digest: Digest,
        /// The I/O error.
        detail: String,
    },
    /// The registry answered with something the protocol does not allow.
    #[error(
        "registry {registry} sent an invalid response for blob {digest} of image {image}: {detail}"
    )]
    InvalidResponse {
        /// The image the blob belongs to.
        image: ImageReference,
        /// The blob's digest.
        digest: Digest,
        /// The registry that answered.
        registry: RegistryHost,
        /// What was wrong.
        detail: String,
    },
    /// The credential provider failed.
    #[error("could not get credentials to pull blob {digest} of image {image}")]
    Credentials {
        /// The image the blob belongs to.
        image: ImageReference,
        /// The blob's digest.
        digest: Digest,
        /// The provider's error.
        #[source]
        source: CredentialError,
    },
}

/// Listing the tags of a repository or the catalog of a registry. `what`
/// names the repository or says "catalog of registry …".
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The repository does not exist, or the registry has no catalog.
    #[error("{what} not found")]
    NotFound {
        /// What was listed.
        what: String,
    },
    /// The registry refused the credentials (HTTP 401/403).
    #[error("registry refused to list {what}: {detail}")]
    Unauthorized {
        /// What was listed.
        what: String,
        /// What the registry said.
        detail: String,
    },
    /// The registry kept failing until the retries ran out. No partial
    /// list is returned: a partial list would read as deleted tags.
    #[error("registry was unavailable while listing {what}: {detail}")]
    Unavailable {
        /// What was listed.
        what: String,
        /// The last failure and the attempts made.
        detail: String,
    },
    /// The registry answered with something the protocol does not allow.
    #[error("invalid response while listing {what}: {detail}")]
    InvalidResponse {
        /// What was listed.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// The credential provider failed.
    #[error("could not get credentials to list {what}")]
    Credentials {
        /// What was listed.
        what: String,
        /// The provider's error.
        #[source]
        source: CredentialError,
    },
}

fn list(platforms: &[Platform]) -> String {
    if platforms.is_empty() {
        return "none".to_owned();
    }
    platforms
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What went wrong at the HTTP level, before an operation gives it a
/// meaning and a name.
#[derive(Debug)]
pub(crate) enum Failure {
    NotFound,
    Unauthorized(String),
    Unavailable(String),
    Invalid(String),
    Credentials(CredentialError),
}

impl Failure {
    pub(crate) fn for_manifest(self, image: &ImageReference) -> ManifestError {
        let (image, registry) = (image.clone(), image.registry().clone());
        match self {
            Self::NotFound => ManifestError::NotFound { image },
            Self::Unauthorized(detail) => ManifestError::Unauthorized {
                image,
                registry,
                detail,
            },
            Self::Unavailable(detail) => ManifestError::Unavailable {
                image,
                registry,
                detail,
            },
            Self::Invalid(detail) => ManifestError::InvalidResponse {
                image,
                registry,
                detail,
            },
            Self::Credentials(source) => ManifestError::Credentials { image, source },
        }
    }

    pub(crate) fn for_blob(self, image: &ImageReference, digest: &Digest) -> BlobError {
        let (image, registry, digest) = (image.clone(), image.registry().clone(), digest.clone());
        match self {
            Self::NotFound => BlobError::NotFound { image, digest },
            Self::Unauthorized(detail) => BlobError::Unauthorized {
                image,
                digest,
                registry,
                detail,
            },
            Self::Unavailable(detail) => BlobError::Unavailable {
                image,
                digest,
                registry,
                detail,
            },
            Self::Invalid(detail) => BlobError::InvalidResponse {
                image,
                digest,
                registry,
                detail,
            },
            Self::Credentials(source) => BlobError::Credentials {
                image,
                digest,
                source,
            },
        }
    }

    pub(crate) fn for_listing(self, what: String) -> ListError {
        match self {
            Self::NotFound => ListError::NotFound { what },
            Self::Unauthorized(detail) => ListError::Unauthorized { what, detail },
            Self::Unavailable(detail) => ListError::Unavailable { what, detail },
            Self::Invalid(detail) => ListError::InvalidResponse { what, detail },
            Self::Credentials(source) => ListError::Credentials { what, source },
        }
    }
}
