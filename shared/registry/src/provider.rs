//! Registry providers: where the inventory of a connected account comes
//! from, behind one trait.
//!
//! A [`RegistryProvider`] lists the repositories of one registry (an ECR
//! registry of one account and region, the Docker repositories of a GCP
//! project and location, one Azure container registry, or any OCI
//! Distribution registry), lists the images of each repository with their
//! tag, digest, media type and push time, and hands out pull credentials
//! for the scanner through the [`CredentialProvider`] seam the client
//! already uses.
//!
//! [`snapshot`] reads a whole registry through a provider, all or nothing:
//! a partial listing would read as deleted repositories.

pub mod acr;
pub mod clock;
pub mod ecr;
mod error;
pub mod gar;
mod http;
pub mod oci;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::{StreamExt as _, TryStreamExt as _};

pub use self::error::{ProviderError, ProviderErrorKind};
use crate::credentials::CredentialProvider;
use crate::digest::Digest;
use crate::host::RegistryHost;

/// Which kind of registry a provider reads. The names are those of the
/// events' `provider` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// AWS Elastic Container Registry.
    Ecr,
    /// Google Artifact Registry (Docker-format repositories).
    ArtifactRegistry,
    /// Azure Container Registry.
    Acr,
    /// Any OCI Distribution registry.
    Oci,
}

impl ProviderKind {
    /// Every kind, for messages that list the valid names.
    pub const ALL: [ProviderKind; 4] = [Self::Ecr, Self::ArtifactRegistry, Self::Acr, Self::Oci];

    /// `ecr`, `artifact-registry`, `acr` or `oci`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ecr => "ecr",
            Self::ArtifactRegistry => "artifact-registry",
            Self::Acr => "acr",
            Self::Oci => "oci",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an image's push time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushedAtSource {
    /// The registry recorded when the image was pushed (ECR's
    /// `imagePushedAt`, ACR's `lastUpdateTime`, Artifact Registry's
    /// `uploadTime`).
    Registry,
    /// The registry keeps no push time; this is the image config's
    /// `created`, which is when the image was built, not pushed.
    ImageConfig,
    /// Neither is known (the config has no `created`, or the manifest is
    /// not an image Tagwarden reads).
    Unknown,
}

/// One image of a repository: a tag and what it points at, or a manifest
/// no tag points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTag {
    /// The tag; `None` for an untagged manifest. ECR and Artifact Registry
    /// list untagged manifests; the OCI Distribution API cannot, so a plain
    /// registry only shows a repository without tags.
    pub tag: Option<String>,
    /// The manifest (or index) digest the tag points at.
    pub digest: Digest,
    /// The manifest's media type; empty when the registry does not say.
    pub media_type: String,
    /// When the image was pushed, see [`ImageTag::pushed_at_source`].
    pub pushed_at: Option<DateTime<Utc>>,
    /// Where `pushed_at` came from.
    pub pushed_at_source: PushedAtSource,
}

/// Lists a registry's repositories and images, and hands out pull
/// credentials. The futures are boxed so the service can hold any provider
/// behind `Arc<dyn RegistryProvider>`, chosen from an integration's
/// settings at run time.
pub trait RegistryProvider: Send + Sync + fmt::Debug {
    /// The kind of registry.
    fn kind(&self) -> ProviderKind;

    /// The registry host images are pulled from, e.g.
    /// `123456789012.dkr.ecr.eu-west-1.amazonaws.com`.
    fn registry(&self) -> &RegistryHost;

    /// The cloud account the registry belongs to: AWS account (registry
    /// id), GCP project, Azure subscription or registry name; empty for a
    /// plain OCI registry.
    fn account(&self) -> &str;

    /// Every repository path in the registry, e.g. `team/app`.
    fn list_repositories(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>>;

    /// Every image of `repository`: one entry per tag, plus untagged
    /// manifests where the registry lists them. All pages or an error.
    fn list_tags<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ImageTag>, ProviderError>>;

    /// Credentials for pulling from [`RegistryProvider::registry`], renewed
    /// by the provider as they expire.
    fn pull_credentials(&self) -> Arc<dyn CredentialProvider>;
}

/// One repository and its images, as [`snapshot`] read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryListing {
    /// The repository path.
    pub name: String,
    /// Its images, in the provider's order.
    pub images: Vec<ImageTag>,
}

/// Reads every repository and its images, listing up to `concurrency`
/// repositories at once. Fails as a whole on the first error: callers must
/// not mistake a partial listing for removed repositories. A repository
/// that disappears between the two listings is left out.
pub async fn snapshot(
    provider: &dyn RegistryProvider,
    concurrency: usize,
) -> Result<Vec<RepositoryListing>, ProviderError> {
    let repositories = provider.list_repositories().await?;
    let listings = futures::stream::iter(repositories)
        .map(|name| async move {
            match provider.list_tags(&name).await {
                Ok(images) => Ok(Some(RepositoryListing { name, images })),
                Err(e) if e.kind() == ProviderErrorKind::NotFound => {
                    tracing::debug!(repository = %name, "repository gone while listing");
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        })
        .buffered(concurrency.max(1))
        .try_filter_map(|listing| async move { Ok(listing) })
        .try_collect()
        .await?;
    Ok(listings)
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn provider_names_round_trip() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ProviderKind::parse("quay"), None);
        assert_eq!(
            ProviderKind::ArtifactRegistry.to_string(),
            "artifact-registry"
        );
    }
}

#[cfg(test)]
mod tests;
