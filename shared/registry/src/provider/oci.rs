//! Any OCI Distribution registry (Docker Hub, GHCR, GitLab, Harbor,
//! self-hosted): the catalog or a configured repository list, tag lists,
//! and for each tag its manifest digest.
//!
//! The Distribution API records no push time, so the push time of a tag
//! is the `created` field of its image config, flagged as such. Reading a
//! config costs two requests per new digest; what a digest describes never
//! changes, so it is remembered and a later sync of an unchanged tag costs
//! one `HEAD`. A tag whose manifest vanishes between the listing and the
//! read is left out; a manifest Tagwarden cannot read is listed without
//! media type or push time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::{StreamExt as _, TryStreamExt as _};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
};

use super::{ImageTag, ProviderError, ProviderErrorKind, ProviderKind, PushedAtSource};
use crate::client::RegistryClient;
use crate::config::ClientConfig;
use crate::credentials::CredentialProvider;
use crate::digest::Digest;
use crate::error::{BlobError, ManifestError};
use crate::host::RegistryHost;
use crate::manifest::ResolvedImage;
use crate::platform::Platform;
use crate::reference::{ImageReference, Repository};

/// Digests remembered at most; beyond this the memory starts afresh.
const DESCRIBED_LIMIT: usize = 200_000;

/// How an [`OciProvider`] reads its registry.
#[derive(Debug, Clone)]
pub struct OciSettings {
    /// The registry host.
    pub registry: RegistryHost,
    /// The repositories to read, for registries whose catalog is closed
    /// (Docker Hub, GHCR); `None` reads the catalog.
    pub repositories: Option<Vec<String>>,
    /// Retries, page size and timeouts of the registry client.
    pub client: ClientConfig,
    /// Tags of one repository read at once.
    pub tag_concurrency: usize,
}

impl OciSettings {
    /// Settings for `registry` with the client's defaults, reading the
    /// catalog, eight tags at a time.
    pub fn new(registry: RegistryHost) -> Self {
        Self {
            registry,
            repositories: None,
            client: ClientConfig::default(),
            tag_concurrency: 8,
        }
    }
}

/// What a manifest digest describes; never changes for a digest.
#[derive(Debug, Clone)]
struct Described {
    media_type: String,
    created: Option<DateTime<Utc>>,
}

/// A provider for any OCI Distribution registry.
#[derive(Debug)]
pub struct OciProvider {
    settings: OciSettings,
    client: RegistryClient,
    credentials: Arc<dyn CredentialProvider>,
    described: Mutex<HashMap<Digest, Described>>,
}

impl OciProvider {
    /// A provider reading `settings.registry` with `credentials`.
    pub fn new(
        settings: OciSettings,
        credentials: Arc<dyn CredentialProvider>,
    ) -> Result<Self, ProviderError> {
        let client = RegistryClient::new(settings.client.clone(), credentials.clone())
            .map_err(|e| ProviderError::config(e.to_string()).with_source(e))?;
        Ok(Self {
            settings,
            client,
            credentials,
            described: Mutex::new(HashMap::new()),
        })
    }

    async fn repositories(&self) -> Result<Vec<String>, ProviderError> {
        match &self.settings.repositories {
            Some(listed) => Ok(listed.clone()),
            None => Ok(self.client.catalog(&self.settings.registry).await?),
        }
    }

    async fn tags(&self, name: &str) -> Result<Vec<ImageTag>, ProviderError> {
        let repository = Repository::new(self.settings.registry.clone(), name)
            .map_err(|e| ProviderError::new(ProviderErrorKind::InvalidResponse, e.to_string()))?;
        let tags = match self.client.list_tags(&repository).await {
            Ok(tags) => tags,
            // A catalog entry whose tag list is missing holds only untagged
            // manifests (distribution answers 404 when no tag exists).
            Err(crate::error::ListError::NotFound { .. })
                if self.settings.repositories.is_none() =>
            {
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        let concurrency = self.settings.tag_concurrency.max(1);
        // First what each tag points at, then each digest not seen before
        // once, however many tags share it.
        let pointed: Vec<Option<(String, ImageReference)>> = futures::stream::iter(tags)
            .map(|tag| self.digest_of(&repository, tag))
            .buffered(concurrency)
            .try_collect()
            .await?;
        let pointed: Vec<(String, ImageReference)> = pointed.into_iter().flatten().collect();
        let mut unknown: Vec<ImageReference> = pointed
            .iter()
            .map(|(_, image)| image)
            .filter(|image| image.digest().is_some_and(|d| self.remembered(d).is_none()))
            .cloned()
            .collect();
        unknown.sort_by(|a, b| a.digest().cmp(&b.digest()));
        unknown.dedup_by(|a, b| a.digest() == b.digest());
        futures::stream::iter(unknown)
            .map(|pinned| self.learn(pinned))
            .buffer_unordered(concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(pointed
            .into_iter()
            .filter_map(|(tag, pinned)| {
                let digest = pinned.digest()?.clone();
                let described = self.remembered(&digest)?;
                let source = match described.created {
                    Some(_) => PushedAtSource::ImageConfig,
                    None => PushedAtSource::Unknown,
                };
                Some(ImageTag {
                    tag: Some(tag),
                    digest,
                    media_type: described.media_type,
                    pushed_at: described.created,
                    pushed_at_source: source,
                })
            })
            .collect())
    }

    /// The tag and the image it points at, pinned to its digest; `None`
    /// when the tag vanished while reading (or is not a valid tag).
    async fn digest_of(
        &self,
        repository: &Repository,
        tag: String,
    ) -> Result<Option<(String, ImageReference)>, ProviderError> {
        let Ok(image) = format!("{repository}:{tag}").parse::<ImageReference>() else {
            tracing::warn!(%repository, tag, "registry lists an invalid tag; skipped");
            return Ok(None);
        };
        match self.client.manifest_digest(&image).await {
            Ok(digest) => Ok(Some((tag, image.with_digest(digest)))),
            Err(ManifestError::NotFound { .. }) => Ok(None),
            Err(e) => Err(manifest_error(e)),
        }
    }

    /// Describes a pinned image and remembers it by digest.
    async fn learn(&self, pinned: ImageReference) -> Result<(), ProviderError> {
        if let (Some(described), Some(digest)) = (self.describe(&pinned).await?, pinned.digest()) {
            self.remember(digest, described);
        }
        Ok(())
    }

    /// Reads the manifest and config of a pinned image. Images Tagwarden
    /// cannot read (schema 1, Helm charts, an index without `linux/amd64`)
    /// are still listed, without media type or push time.
    async fn describe(&self, pinned: &ImageReference) -> Result<Option<Described>, ProviderError> {
        let resolved = match self.client.resolve(pinned, &Platform::default()).await {
            Ok(resolved) => resolved,
            Err(ManifestError::NotFound { .. }) => return Ok(None),
            Err(
                e @ (ManifestError::Unsupported { .. } | ManifestError::PlatformNotFound { .. }),
            ) => {
                tracing::debug!(image = %pinned, error = %e, "image listed without push time");
                return Ok(Some(Described {
                    media_type: String::new(),
                    created: None,
                }));
            }
            Err(e) => return Err(manifest_error(e)),
        };
        let created = match self.client.config_blob(&resolved).await {
            Ok(config) => created(&config),
            Err(e @ (BlobError::Unavailable { .. } | BlobError::Unauthorized { .. })) => {
                return Err(
                    ProviderError::new(ProviderErrorKind::Unavailable, e.to_string())
                        .with_source(e),
                );
            }
            Err(e) => {
                tracing::debug!(image = %pinned, error = %e, "image config unreadable");
                None
            }
        };
        Ok(Some(Described {
            media_type: top_media_type(&resolved),
            created,
        }))
    }

    fn remembered(&self, digest: &Digest) -> Option<Described> {
        let described = self
            .described
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        described.get(digest).cloned()
    }

    fn remember(&self, digest: &Digest, described: Described) {
        let mut all = self
            .described
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if all.len() >= DESCRIBED_LIMIT {
            all.clear();
        }
        all.insert(digest.clone(), described);
    }
}

impl super::RegistryProvider for OciProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Oci
    }

    fn registry(&self) -> &RegistryHost {
        &self.settings.registry
    }

    fn account(&self) -> &str {
        ""
    }

    fn list_repositories(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        Box::pin(self.repositories())
    }

    fn list_tags<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ImageTag>, ProviderError>> {
        Box::pin(self.tags(repository))
    }

    fn pull_credentials(&self) -> Arc<dyn CredentialProvider> {
        self.credentials.clone()
    }
}

/// The media type of what the tag points at. For an index the client
/// returns the chosen platform's manifest, so the index's own type is
/// inferred from it: BuildKit, Docker and skopeo write OCI indexes over OCI
/// manifests and Docker manifest lists over Docker manifests.
fn top_media_type(resolved: &ResolvedImage) -> String {
    let child = resolved.manifest.media_type.as_str();
    match (&resolved.index_digest, child) {
        (None, _) => child.to_owned(),
        (Some(_), IMAGE_MANIFEST_MEDIA_TYPE) => IMAGE_MANIFEST_LIST_MEDIA_TYPE.to_owned(),
        (Some(_), _) => OCI_IMAGE_INDEX_MEDIA_TYPE.to_owned(),
    }
}

/// The `created` time of an image config, if it has a valid one.
fn created(config: &[u8]) -> Option<DateTime<Utc>> {
    #[derive(serde::Deserialize)]
    struct Config {
        created: Option<String>,
    }
    let config: Config = serde_json::from_slice(config).ok()?;
    let created = DateTime::parse_from_rfc3339(config.created?.as_str()).ok()?;
    Some(created.to_utc())
}

fn manifest_error(error: ManifestError) -> ProviderError {
    let kind = match &error {
        ManifestError::NotFound { .. } => ProviderErrorKind::NotFound,
        ManifestError::Unauthorized { .. } | ManifestError::Credentials { .. } => {
            ProviderErrorKind::Unauthorized
        }
        ManifestError::Unavailable { .. } => ProviderErrorKind::Unavailable,
        _ => ProviderErrorKind::InvalidResponse,
    };
    ProviderError::new(kind, error.to_string()).with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_created_from_an_image_config() {
        let config = br#"{"created":"2026-02-03T04:05:06.5Z","architecture":"amd64"}"#;
        assert_eq!(
            created(config).map(|t| t.to_rfc3339()),
            Some("2026-02-03T04:05:06.500+00:00".to_owned())
        );
        assert_eq!(created(br#"{"architecture":"amd64"}"#), None);
        assert_eq!(created(br#"{"created":"yesterday"}"#), None);
        assert_eq!(created(b"not json"), None);
    }
}
