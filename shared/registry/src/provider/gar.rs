//! Google Artifact Registry: the Docker-format repositories of one
//! project and location, read through the Artifact Registry REST API
//! (`repositories` and `dockerImages`, paged with `nextPageToken`). Each
//! Docker image lists its tags, digest, media type and `uploadTime`.
//!
//! An Artifact Registry repository holds many images (`project/repo/app`,
//! `project/repo/tools/cli`); each image is one Tagwarden repository. The
//! REST API lists images per Artifact Registry repository, so
//! [`GarProvider::list_repositories`] reads them all and keeps them for the
//! `list_tags` calls of the same sync.
//!
//! Tokens come from `gcp_auth` (service account key, workload identity,
//! metadata server or gcloud); pulls send one as the password of
//! `oauth2accesstoken`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;
use url::Url;

use super::http::{self, get_json};
use super::{ImageTag, ProviderError, ProviderErrorKind, ProviderKind, PushedAtSource};
use crate::credentials::{CredentialError, CredentialProvider, Credentials};
use crate::host::RegistryHost;

/// The OAuth scope tokens are asked for.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The user name that goes with an access token as a password.
pub const ACCESS_TOKEN_USER: &str = "oauth2accesstoken";
const DEFAULT_API: &str = "https://artifactregistry.googleapis.com/";

/// How a [`GarProvider`] reaches its project.
#[derive(Debug, Clone, Default)]
pub struct GarSettings {
    /// The GCP project id.
    pub project: String,
    /// The location, e.g. `europe-west1` or `us`.
    pub location: String,
    /// The REST API base instead of Google's (tests).
    pub endpoint: Option<Url>,
    /// The pull host instead of `{location}-docker.pkg.dev`.
    pub registry_host: Option<RegistryHost>,
    /// Entries asked for per page.
    pub page_size: u32,
}

/// A provider for the Docker repositories of one project and location.
pub struct GarProvider {
    settings: GarSettings,
    api: Url,
    registry: RegistryHost,
    tokens: Arc<dyn gcp_auth::TokenProvider>,
    http: reqwest::Client,
    /// Images by path, from the last repository listing.
    listed: Mutex<HashMap<String, Vec<ImageTag>>>,
}

impl std::fmt::Debug for GarProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GarProvider")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RepositoriesPage {
    #[serde(default)]
    repositories: Vec<ArRepository>,
    next_page_token: Option<String>,
}

#[derive(serde::Deserialize)]
struct ArRepository {
    name: String,
    #[serde(default)]
    format: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImagesPage {
    #[serde(default)]
    docker_images: Vec<DockerImage>,
    next_page_token: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerImage {
    uri: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    media_type: String,
    upload_time: Option<DateTime<Utc>>,
}

impl GarProvider {
    /// A provider asking `tokens` for access tokens.
    pub fn new(
        settings: GarSettings,
        tokens: Arc<dyn gcp_auth::TokenProvider>,
    ) -> Result<Self, ProviderError> {
        if settings.project.is_empty() || settings.location.is_empty() {
            return Err(ProviderError::config(
                "an Artifact Registry integration needs a project and a location",
            ));
        }
        let api = match &settings.endpoint {
            Some(url) => url.clone(),
            None => Url::parse(DEFAULT_API).map_err(|e| ProviderError::config(e.to_string()))?,
        };
        let registry = match &settings.registry_host {
            Some(host) => host.clone(),
            None => format!("{}-docker.pkg.dev", settings.location)
                .parse()
                .map_err(|e: crate::host::HostParseError| ProviderError::config(e.to_string()))?,
        };
        Ok(Self {
            settings,
            api,
            registry,
            tokens,
            http: http::client()?,
            listed: Mutex::new(HashMap::new()),
        })
    }

    async fn token(&self) -> Result<SecretString, ProviderError> {
        let token = self
            .tokens
            .token(&[CLOUD_PLATFORM_SCOPE])
            .await
            .map_err(|e| {
                ProviderError::new(
                    ProviderErrorKind::Unauthorized,
                    format!("could not get a Google access token: {e}"),
                )
            })?;
        Ok(SecretString::from(token.as_str().to_owned()))
    }

    /// Every page of `path`, following `nextPageToken`.
    async fn pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        next: fn(&T) -> Option<String>,
        doing: &str,
    ) -> Result<Vec<T>, ProviderError> {
        let token = self.token().await?;
        let (mut pages, mut page_token) = (Vec::new(), None::<String>);
        loop {
            let mut url = self
                .api
                .join(path)
                .map_err(|e| ProviderError::config(format!("bad Artifact Registry URL: {e}")))?;
            url.query_pairs_mut()
                .append_pair("pageSize", &self.settings.page_size.max(1).to_string());
            if let Some(t) = &page_token {
                url.query_pairs_mut().append_pair("pageToken", t);
            }
            let page = get_json::<T>(&self.http, &url, &token, doing).await?.body;
            page_token = next(&page).filter(|t| !t.is_empty());
            pages.push(page);
            if page_token.is_none() || pages.len() > 100_000 {
                return Ok(pages);
            }
        }
    }

    async fn repositories(&self) -> Result<Vec<String>, ProviderError> {
        let (project, location) = (&self.settings.project, &self.settings.location);
        let path = format!("v1/projects/{project}/locations/{location}/repositories");
        let doing = format!("list Artifact Registry repositories of {project} in {location}");
        let pages = self
            .pages(
                &path,
                |p: &RepositoriesPage| p.next_page_token.clone(),
                &doing,
            )
            .await?;
        let mut images: BTreeMap<String, Vec<ImageTag>> = BTreeMap::new();
        for repository in pages.into_iter().flat_map(|p| p.repositories) {
            if repository.format.eq_ignore_ascii_case("DOCKER") {
                for (path, tags) in self.images_of(&repository.name).await? {
                    images.entry(path).or_default().extend(tags);
                }
            }
        }
        let names = images.keys().cloned().collect();
        *self.listed.lock().unwrap_or_else(PoisonError::into_inner) = images.into_iter().collect();
        Ok(names)
    }

    /// The images of one Artifact Registry repository
    /// (`projects/p/locations/l/repositories/r`), by image path.
    async fn images_of(
        &self,
        repository: &str,
    ) -> Result<Vec<(String, Vec<ImageTag>)>, ProviderError> {
        let path = format!("v1/{repository}/dockerImages");
        let doing = format!("list Docker images of {repository}");
        let pages = self
            .pages(&path, |p: &ImagesPage| p.next_page_token.clone(), &doing)
            .await?;
        let mut by_path: BTreeMap<String, Vec<ImageTag>> = BTreeMap::new();
        for image in pages.into_iter().flat_map(|p| p.docker_images) {
            let (path, tags) = image_tags(image).map_err(|what| {
                ProviderError::new(
                    ProviderErrorKind::InvalidResponse,
                    format!("could not {doing}: {what}"),
                )
            })?;
            by_path.entry(path).or_default().extend(tags);
        }
        Ok(by_path.into_iter().collect())
    }

    async fn tags(&self, path: &str) -> Result<Vec<ImageTag>, ProviderError> {
        let kept = self
            .listed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(path);
        if let Some(tags) = kept {
            return Ok(tags);
        }
        // Not from this sync's listing: read the image's repository again.
        let repository = path.split('/').nth(1).ok_or_else(|| {
            ProviderError::new(ProviderErrorKind::NotFound, format!("no image {path}"))
        })?;
        let (project, location) = (&self.settings.project, &self.settings.location);
        let name = format!("projects/{project}/locations/{location}/repositories/{repository}");
        self.images_of(&name)
            .await?
            .into_iter()
            .find(|(p, _)| p == path)
            .map(|(_, tags)| tags)
            .ok_or_else(|| {
                ProviderError::new(ProviderErrorKind::NotFound, format!("no image {path}"))
            })
    }
}

/// The image path (`project/repo/app`) of a Docker image and its entries,
/// one per tag or one untagged.
fn image_tags(image: DockerImage) -> Result<(String, Vec<ImageTag>), String> {
    let (_, rest) = image
        .uri
        .split_once('/')
        .ok_or_else(|| format!("image URI {:?} has no path", image.uri))?;
    let (path, digest) = rest
        .split_once('@')
        .ok_or_else(|| format!("image URI {:?} has no digest", image.uri))?;
    let digest: crate::digest::Digest = digest.parse().map_err(|e| format!("{e}"))?;
    let source = match image.upload_time {
        Some(_) => PushedAtSource::Registry,
        None => PushedAtSource::Unknown,
    };
    let entry = |tag: Option<String>| ImageTag {
        tag,
        digest: digest.clone(),
        media_type: image.media_type.clone(),
        pushed_at: image.upload_time,
        pushed_at_source: source,
    };
    let entries = if image.tags.is_empty() {
        vec![entry(None)]
    } else {
        image.tags.iter().cloned().map(|t| entry(Some(t))).collect()
    };
    Ok((path.to_owned(), entries))
}

impl super::RegistryProvider for GarProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::ArtifactRegistry
    }

    fn registry(&self) -> &RegistryHost {
        &self.registry
    }

    fn account(&self) -> &str {
        &self.settings.project
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
        Arc::new(GarCredentials {
            tokens: self.tokens.clone(),
            registry: self.registry.clone(),
        })
    }
}

/// Pull credentials: a fresh access token as `oauth2accesstoken`'s
/// password (`gcp_auth` keeps tokens until they expire).
struct GarCredentials {
    tokens: Arc<dyn gcp_auth::TokenProvider>,
    registry: RegistryHost,
}

impl std::fmt::Debug for GarCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GarCredentials")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl CredentialProvider for GarCredentials {
    fn credentials<'a>(
        &'a self,
        registry: &'a RegistryHost,
    ) -> BoxFuture<'a, Result<Credentials, CredentialError>> {
        Box::pin(async move {
            if *registry != self.registry {
                return Ok(Credentials::Anonymous);
            }
            let token = self
                .tokens
                .token(&[CLOUD_PLATFORM_SCOPE])
                .await
                .map_err(|e| CredentialError {
                    registry: registry.clone(),
                    message: format!("could not get a Google access token: {e}"),
                    source: Some(Box::new(e)),
                })?;
            Ok(Credentials::basic(ACCESS_TOKEN_USER, token.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_images_become_paths_and_entries() {
        let image = DockerImage {
            uri: "europe-docker.pkg.dev/proj/repo/tools/cli@sha256:0000000000000000000000000000000000000000000000000000000000000002".into(),
            tags: vec!["v1".into(), "latest".into()],
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            upload_time: Some(DateTime::from_timestamp(1_800_000_000, 0).unwrap()),
        };
        let (path, entries) = image_tags(image).unwrap();
        assert_eq!(path, "proj/repo/tools/cli");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].tag.as_deref(), Some("latest"));
        assert_eq!(entries[0].pushed_at_source, PushedAtSource::Registry);
    }
}
