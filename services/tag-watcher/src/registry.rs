//! The watcher's side of the registry client: the three questions it asks
//! (which tags, which digest, when built), a limit on requests in flight
//! per registry, and a back-off for registries that keep failing. The HTTP,
//! authentication, paging and retries are `tagwarden-registry`'s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tagwarden_registry::{
    BlobError, ImageReference, ListError, ManifestError, Platform, RegistryClient, Repository,
};
use tokio::sync::Semaphore;

use crate::backoff::Backoff;
use crate::repository::RepositoryKey;

/// Why a registry could not answer, as far as the watcher cares.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RegistryError {
    /// 429, 5xx or no connection, after the client's retries: the registry
    /// is backed off and the repository tried again later.
    #[error("{0}")]
    Unavailable(String),
    /// The repository does not exist (any more).
    #[error("{0}")]
    NotFound(String),
    /// The registry refused our credentials, or answered nonsense.
    #[error("{0}")]
    Failed(String),
}

/// Registries as the watcher uses them. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Registries {
    client: RegistryClient,
    /// Requests in flight per registry host.
    limit: usize,
    /// The pause after a registry's first failure.
    backoff: Duration,
    hosts: Arc<Mutex<HashMap<String, Arc<Host>>>>,
}

#[derive(Debug)]
struct Host {
    permits: Semaphore,
    backoff: Mutex<Backoff>,
}

impl Registries {
    /// Wraps `client`, allowing `limit` requests at once per registry and
    /// pausing a failing registry for `backoff`, doubling while it fails.
    pub(crate) fn new(client: RegistryClient, limit: usize, backoff: Duration) -> Self {
        Self {
            client,
            limit: limit.max(1),
            backoff,
            hosts: Arc::default(),
        }
    }

    /// `Some(when)` while `registry` is backed off.
    pub(crate) fn paused_until(&self, registry: &str) -> Option<Instant> {
        let host = self.host(registry);
        let backoff = host.backoff.lock().unwrap_or_else(PoisonError::into_inner);
        backoff.paused_until(Instant::now())
    }

    /// Every tag of the repository, all pages read.
    pub(crate) async fn list_tags(
        &self,
        key: &RepositoryKey,
    ) -> Result<Vec<String>, RegistryError> {
        let repository = repository(key)?;
        let outcome = self
            .limited(key, self.client.list_tags(&repository))
            .await
            .map_err(listing_error);
        self.record(key, outcome)
    }

    /// The digest `tag` points at; `None` when the tag is gone.
    pub(crate) async fn digest(
        &self,
        key: &RepositoryKey,
        tag: &str,
    ) -> Result<Option<String>, RegistryError> {
        let image = reference(key, &format!(":{tag}"))?;
        let outcome = match self.limited(key, self.client.manifest_digest(&image)).await {
            Ok(digest) => Ok(Some(digest.to_string())),
            Err(ManifestError::NotFound { .. }) => Ok(None),
            Err(err) => Err(manifest_error(err)),
        };
        self.record(key, outcome)
    }

    /// The `created` time in the config of the image `digest` names (the
    /// platform image an index resolves to); `None` when the config has
    /// none or it is not a time.
    pub(crate) async fn created(
        &self,
        key: &RepositoryKey,
        digest: &str,
    ) -> Result<Option<DateTime<Utc>>, RegistryError> {
        let image = reference(key, &format!("@{digest}"))?;
        let platform = Platform::default();
        let resolve = self.client.resolve(&image, &platform);
        let resolved = match self.limited(key, resolve).await {
            Ok(resolved) => resolved,
            Err(ManifestError::NotFound { .. }) => return Ok(None),
            Err(err) => return self.record(key, Err(manifest_error(err))),
        };
        let outcome = self
            .limited(key, self.client.config_blob(&resolved))
            .await
            .map(|config| created_of(&config))
            .map_err(blob_error);
        self.record(key, outcome)
    }

    async fn limited<T>(&self, key: &RepositoryKey, call: impl Future<Output = T>) -> T {
        let host = self.host(&key.registry);
        let _permit = host.permits.acquire().await;
        call.await
    }

    /// Feeds the outcome to the registry's back-off and passes it on.
    fn record<T>(
        &self,
        key: &RepositoryKey,
        outcome: Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        let host = self.host(&key.registry);
        let mut backoff = host.backoff.lock().unwrap_or_else(PoisonError::into_inner);
        match &outcome {
            Err(RegistryError::Unavailable(_)) => {
                backoff.failed(Instant::now());
            }
            _ => backoff.succeeded(),
        }
        outcome
    }

    fn host(&self, registry: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        let host = hosts.entry(registry.to_owned()).or_insert_with(|| {
            Arc::new(Host {
                permits: Semaphore::new(self.limit),
                backoff: Mutex::new(Backoff::new(self.backoff)),
            })
        });
        host.clone()
    }
}

fn repository(key: &RepositoryKey) -> Result<Repository, RegistryError> {
    key.to_string()
        .parse()
        .map_err(|e| RegistryError::Failed(format!("cannot watch {key}: {e}")))
}

fn reference(key: &RepositoryKey, suffix: &str) -> Result<ImageReference, RegistryError> {
    format!("{key}{suffix}")
        .parse()
        .map_err(|e| RegistryError::Failed(format!("cannot watch {key}{suffix}: {e}")))
}

/// The `created` field of an image config, if it is an RFC 3339 time.
fn created_of(config: &[u8]) -> Option<DateTime<Utc>> {
    #[derive(serde::Deserialize)]
    struct Config {
        created: Option<String>,
    }
    let config: Config = serde_json::from_slice(config).ok()?;
    let created = DateTime::parse_from_rfc3339(config.created?.as_str()).ok()?;
    Some(created.to_utc())
}

fn listing_error(err: ListError) -> RegistryError {
    let message = err.to_string();
    match err {
        ListError::Unavailable { .. } => RegistryError::Unavailable(message),
        ListError::NotFound { .. } => RegistryError::NotFound(message),
        _ => RegistryError::Failed(message),
    }
}

fn manifest_error(err: ManifestError) -> RegistryError {
    let message = err.to_string();
    match err {
        ManifestError::Unavailable { .. } => RegistryError::Unavailable(message),
        ManifestError::NotFound { .. } => RegistryError::NotFound(message),
        _ => RegistryError::Failed(message),
    }
}

fn blob_error(err: BlobError) -> RegistryError {
    let message = err.to_string();
    match err {
        BlobError::Unavailable { .. } => RegistryError::Unavailable(message),
        BlobError::NotFound { .. } => RegistryError::NotFound(message),
        _ => RegistryError::Failed(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_config_created_time() {
        let config = br#"{"created":"2026-11-30T08:15:00.123Z","architecture":"amd64"}"#;
        assert_eq!(
            created_of(config).map(|t| t.to_rfc3339()),
            Some("2026-11-30T08:15:00.123+00:00".to_owned())
        );
        assert_eq!(created_of(br#"{"architecture":"amd64"}"#), None);
        assert_eq!(created_of(br#"{"created":"yesterday"}"#), None);
    }
}
