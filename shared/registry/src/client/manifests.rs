//! Manifests: resolving an image to one platform, and its digest.

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;

use super::RegistryClient;
use crate::digest::Digest;
use crate::error::{Failure, ManifestError, UnsupportedManifest};
use crate::manifest::{self, ParseProblem, Parsed, ResolvedImage};
use crate::platform::{self, Platform};
use crate::reference::ImageReference;
use crate::transport::{Call, Reply};

/// The largest manifest read; registries accept at least 4 MiB.
const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;
const CONTENT_DIGEST: &str = "docker-content-digest";

impl RegistryClient {
    /// Resolves `image` to one image manifest. A reference to an index
    /// (multi-platform image) picks the entry for `platform`, skipping
    /// attestation entries; [`Platform::default`] is `linux/amd64`.
    ///
    /// The manifest bytes are checked against the reference's digest and
    /// the registry's `Docker-Content-Digest`. Docker schema 1 manifests are
    /// refused with [`ManifestError::Unsupported`].
    #[tracing::instrument(skip(self), fields(image = %image, platform = %platform))]
    pub async fn resolve(
        &self,
        image: &ImageReference,
        platform: &Platform,
    ) -> Result<ResolvedImage, ManifestError> {
        let (parsed, digest) = self.manifest(image).await?;
        let entries = match parsed {
            Parsed::Image(manifest) => {
                let resolved = ResolvedImage {
                    image: image.clone(),
                    digest,
                    index_digest: None,
                    platform: None,
                    manifest,
                };
                return Ok(resolved);
            }
            Parsed::Index(entries) => entries,
        };
        let entry = platform::select(&entries, platform).map_err(|offered| {
            ManifestError::PlatformNotFound {
                image: image.clone(),
                wanted: platform.clone(),
                offered,
            }
        })?;
        tracing::debug!(digest = %entry.descriptor.digest, "picked index entry");
        let pinned = image.with_digest(entry.descriptor.digest.clone());
        match self.manifest(&pinned).await? {
            (Parsed::Image(manifest), child) => Ok(ResolvedImage {
                image: image.clone(),
                digest: child,
                index_digest: Some(digest),
                platform: entry.platform.clone(),
                manifest,
            }),
            (Parsed::Index(_), _) => Err(ManifestError::Unsupported {
                image: image.clone(),
                what: UnsupportedManifest::NestedIndex,
            }),
        }
    }

    /// The digest `image` currently points at (an index's digest for a
    /// multi-platform tag), as `docker buildx imagetools inspect` shows it.
    ///
    /// Asks with `HEAD` and reads `Docker-Content-Digest`; registries that
    /// do not send it get a `GET` and the sha256 of the body.
    #[tracing::instrument(skip(self), fields(image = %image))]
    pub async fn manifest_digest(&self, image: &ImageReference) -> Result<Digest, ManifestError> {
        let head = self.manifest_call(image, Method::HEAD, 0)?;
        let reply = self
            .transport()
            .fetch(&head)
            .await
            .map_err(|f| f.for_manifest(image))?;
        if let Some(digest) = header_digest(&reply) {
            return Ok(image.digest().cloned().unwrap_or(digest));
        }
        let get = self.manifest_call(image, Method::GET, MANIFEST_LIMIT)?;
        let reply = self
            .transport()
            .fetch(&get)
            .await
            .map_err(|f| f.for_manifest(image))?;
        verify(image, &reply, header_digest(&reply))
    }

    /// Fetches and parses one manifest, returning it with its digest.
    async fn manifest(&self, image: &ImageReference) -> Result<(Parsed, Digest), ManifestError> {
        let call = self.manifest_call(image, Method::GET, MANIFEST_LIMIT)?;
        let reply = self
            .transport()
            .fetch(&call)
            .await
            .map_err(|f| f.for_manifest(image))?;
        let content_type = reply
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let unsupported = |what| ManifestError::Unsupported {
            image: image.clone(),
            what,
        };
        if manifest::is_schema1(&reply.body, content_type) {
            return Err(unsupported(UnsupportedManifest::Schema1));
        }
        let digest = verify(image, &reply, header_digest(&reply))?;
        let parsed = manifest::parse(&reply.body, content_type).map_err(|p| match p {
            ParseProblem::Schema1 => unsupported(UnsupportedManifest::Schema1),
            ParseProblem::MediaType(t) => unsupported(UnsupportedManifest::MediaType(t)),
            ParseProblem::Invalid(detail) => Failure::Invalid(detail).for_manifest(image),
        })?;
        Ok((parsed, digest))
    }

    fn manifest_call(
        &self,
        image: &ImageReference,
        method: Method,
        body_limit: usize,
    ) -> Result<Call, ManifestError> {
        let repository = image.repository();
        let path = format!(
            "v2/{}/manifests/{}",
            repository.name(),
            image.api_reference()
        );
        let url = self
            .transport()
            .api_url(repository.registry(), &path)
            .map_err(|f| f.for_manifest(image))?;
        Ok(Call {
            registry: repository.registry().clone(),
            method,
            url,
            accept: Some(manifest::accept_header()),
            scope: format!("repository:{}:pull", repository.name()),
            body_limit,
        })
    }
}

fn header_digest(reply: &Reply) -> Option<Digest> {
    reply
        .headers
        .get(CONTENT_DIGEST)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Checks the body against the reference's digest and the one the
/// registry announced; returns the manifest's digest.
fn verify(
    image: &ImageReference,
    reply: &Reply,
    announced: Option<Digest>,
) -> Result<Digest, ManifestError> {
    for expected in image.digest().cloned().into_iter().chain(announced) {
        if !expected.matches(&reply.body) {
            let actual = Digest::compute(expected.algorithm(), &reply.body);
            return Err(ManifestError::DigestMismatch {
                image: image.clone(),
                expected,
                actual,
            });
        }
    }
    Ok(image
        .digest()
        .cloned()
        .unwrap_or_else(|| Digest::sha256_of(&reply.body)))
}
