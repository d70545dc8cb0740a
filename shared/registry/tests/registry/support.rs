//! Building clients and reading blobs in tests.

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use tagwarden_registry::{
    BlobError, BlobStream, ClientConfig, Credentials, ImageReference, RegistryClient, RetryPolicy,
    StaticCredentials,
};

/// Retries fast enough for tests, still growing and still bounded.
pub(crate) fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
    }
}

pub(crate) fn config() -> ClientConfig {
    ClientConfig {
        retry: quick_retries(),
        ..ClientConfig::default()
    }
}

/// An anonymous client.
pub(crate) fn anonymous() -> RegistryClient {
    client_with(config(), StaticCredentials::anonymous())
}

/// A client with basic credentials for `host`.
pub(crate) fn with_password(host: &str, user: &str, password: &str) -> RegistryClient {
    let creds = StaticCredentials::anonymous()
        .with(host.parse().unwrap(), Credentials::basic(user, password));
    client_with(config(), creds)
}

pub(crate) fn client_with(config: ClientConfig, creds: StaticCredentials) -> RegistryClient {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    RegistryClient::new(config, Arc::new(creds)).unwrap()
}

pub(crate) fn image(host: &str, repo_tag: &str) -> ImageReference {
    format!("{host}/{repo_tag}").parse().unwrap()
}

/// Reads a whole blob stream (test blobs are tiny).
pub(crate) async fn read_all(stream: BlobStream) -> Result<Vec<u8>, BlobError> {
    stream
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
}
