//! [`RegistryClient`], the one entry point: manifests, blobs and listings.

mod blobs;
mod listing;
mod manifests;

use std::sync::Arc;

pub use self::blobs::BlobStream;
use self::blobs::OciClients;
use crate::config::ClientConfig;
use crate::credentials::CredentialProvider;
use crate::transport::Transport;

/// A client for OCI Distribution registries.
///
/// Cheap to clone: clones share connections, cached tokens and the
/// credential provider. Registries on loopback are reached over plain
/// HTTP; any other registry over HTTPS unless listed in
/// [`ClientConfig::insecure_registries`].
///
/// Manifest, tag and catalog requests go through a small reqwest layer of
/// our own because they need response headers that oci-client 0.18 does
/// not expose (content digest and type, `Link`, `Retry-After`); blobs
/// stream through oci-client, which verifies their digest as they flow.
/// The two keep separate token caches, so a bearer registry is asked for
/// a token twice per repository (once for manifests, once for blobs).
#[derive(Debug, Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    oci: OciClients,
}

/// The HTTP client could not be built (TLS roots could not be loaded).
#[derive(Debug, thiserror::Error)]
#[error("could not build the registry HTTP client")]
pub struct BuildError(#[source] reqwest::Error);

impl RegistryClient {
    /// A client with `config`, asking `credentials` before each request.
    pub fn new(
        config: ClientConfig,
        credentials: Arc<dyn CredentialProvider>,
    ) -> Result<Self, BuildError> {
        let transport = Transport::new(config, credentials).map_err(BuildError)?;
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                oci: OciClients::default(),
            }),
        })
    }

    fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    fn config(&self) -> &ClientConfig {
        self.inner.transport.config()
    }
}
