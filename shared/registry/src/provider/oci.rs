//! Any OCI Distribution registry (Docker Hub, GHCR, GitLab, Harbor,
//! self-hosted): the catalog or a configured repository list, tag lists,
//! and for each tag its manifest digest.
//!
//! The Distribution API records no push time, so the push time of a tag
//! is the `created` field of its image config, flagged as such. Reading a
//! config costs two requests per new digest; what a digest describes never
//! changes, so it is remembered. A tag read for the first time costs a
//! `GET` of its manifest (two for a multi-platform index); a tag read before
//! costs a `HEAD`, which is all a later sync of an unchanged tag needs. A tag whose manifest vanishes between the listing and the
//! read is left out; a manifest Tagwarden cannot read is listed without
//! media type or push time.

use std::collections::{HashMap, HashSet};
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

/// What a tag points at, with the manifest when it was read with `GET`.
#[derive(Debug)]
struct Pointed {
    tag: String,
    image: ImageReference,
    digest: Digest,
    resolved: Option<ResolvedImage>,
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
    /// Tags (`registry/repository:tag`) read before, asked with `HEAD`.
    seen: Mutex<HashSet<String>>,
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
            seen: Mutex::new(HashSet::new()),
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
        // First what each tag points at, then each digest not described
        // before once, however many tags share it.
        let pointed: Vec<Option<Pointed>> = futures::stream::iter(tags)
            .map(|tag| self.point(&repository, tag))
            .buffered(concurrency)
            .try_collect()
            .await?;
        let pointed: Vec<Pointed> = pointed.into_iter().flatten().collect();
        let mut unknown: Vec<&Pointed> = pointed
            .iter()
            .filter(|p| self.remembered(&p.digest).is_none())
            .collect();
        unknown.sort_by(|a, b| {
            (&a.digest, a.resolved.is_none()).cmp(&(&b.digest, b.resolved.is_none()))
        });
        unknown.dedup_by(|a, b| a.digest == b.digest);
        let unknown: Vec<(Digest, ImageReference, Option<ResolvedImage>)> = unknown
            .into_iter()
            .map(|p| {
                (
                    p.digest.clone(),
                    p.image.with_digest(p.digest.clone()),
                    p.resolved.clone(),
                )
            })
            .collect();
        futures::stream::iter(unknown)
            .map(|(digest, pinned, resolved)| self.learn(digest, pinned, resolved))
            .buffer_unordered(concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= DESCRIBED_LIMIT {
            seen.clear();
        }
        seen.extend(pointed.iter().map(|p| p.image.to_string()));
        drop(seen);
        Ok(pointed
            .into_iter()
            .filter_map(|p| self.image_tag(p))
            .collect())
    }

    /// What one tag points at, or `None` when the tag vanished while
    /// reading (or is not a valid tag). A tag seen before is asked with a
    /// `HEAD`; a new one with a `GET`, whose manifest then needs no second
    /// request to be described.
    async fn point(
        &self,
        repository: &Repository,
        tag: String,
    ) -> Result<Option<Pointed>, ProviderError> {
        let Ok(image) = format!("{repository}:{tag}").parse::<ImageReference>() else {
            tracing::warn!(%repository, tag, "registry lists an invalid tag; skipped");
            return Ok(None);
        };
        let known = {
            let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            seen.contains(&image.to_string())
        };
        if !known {
            match self.client.resolve(&image, &Platform::default()).await {
                Ok(resolved) => {
                    let digest = resolved
                        .index_digest
                        .clone()
                        .unwrap_or(resolved.digest.clone());
                    let resolved = Some(resolved);
                    return Ok(Some(Pointed {
                        tag,
                        image,
                        digest,
                        resolved,
                    }));
                }
                Err(ManifestError::NotFound { .. }) => return Ok(None),
                Err(ManifestError::Unsupported { .. } | ManifestError::PlatformNotFound { .. }) => {
                }
                Err(e) => return Err(manifest_error(e)),
            }
        }
        match self.client.manifest_digest(&image).await {
            Ok(digest) => Ok(Some(Pointed {
                tag,
                image,
                digest,
                resolved: None,
            })),
            Err(ManifestError::NotFound { .. }) => Ok(None),
            Err(e) => Err(manifest_error(e)),
        }
    }

    fn image_tag(&self, pointed: Pointed) -> Option<ImageTag> {
        let described = self.remembered(&pointed.digest)?;
        let source = match described.created {
            Some(_) => PushedAtSource::ImageConfig,
            None => PushedAtSource::Unknown,
        };
        Some(ImageTag {
            tag: Some(pointed.tag),
            digest: pointed.digest,
            media_type: described.media_type,
            pushed_at: described.created,
            pushed_at_source: source,
        })
    }

    /// Describes a digest and remembers it: from its manifest when the tag
    /// was read with a `GET`, else by reading the pinned image.
    async fn learn(
        &self,
        digest: Digest,
        pinned: ImageReference,
        resolved: Option<ResolvedImage>,
    ) -> Result<(), ProviderError> {
        let described = match resolved {
            Some(resolved) => Some(self.described(&resolved).await?),
            None => self.describe(&pinned).await?,
        };
        if let Some(described) = described {
            self.remember(&digest, described);
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
        Ok(Some(self.described(&resolved).await?))
    }

    /// The media type and config `created` time of a resolved image.
    async fn described(&self, resolved: &ResolvedImage) -> Result<Described, ProviderError> {
        let created = match self.client.config_blob(resolved).await {
            Ok(config) => created(&config),
            Err(e @ (BlobError::Unavailable { .. } | BlobError::Unauthorized { .. })) => {
                return Err(
                    ProviderError::new(ProviderErrorKind::Unavailable, e.to_string())
                        .with_source(e),
                );
            }
            Err(e) => {
                tracing::debug!(image = %resolved.image, error = %e, "image config unreadable");
                None
            }
        };
        Ok(Described {
            media_type: top_media_type(resolved),
            created,
        })
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
