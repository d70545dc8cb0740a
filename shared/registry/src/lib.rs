//! Tagwarden's OCI Distribution client: resolve an image reference to one
//! platform's manifest, stream its blobs with their digests verified, read
//! manifest digests, and list tags and catalogs.
//!
//! It wraps [oci-client](https://docs.rs/oci-client) for blob streaming
//! and manifest types, and makes the requests whose response headers
//! matter itself (see [`RegistryClient`]). Credentials come from a
//! [`CredentialProvider`]; cloud registries plug in there.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use tagwarden_registry::{ClientConfig, Platform, RegistryClient, StaticCredentials};
//!
//! let client = RegistryClient::new(ClientConfig::default(), Arc::new(StaticCredentials::anonymous()))?;
//! let image = "127.0.0.1:5000/team/app:v1".parse()?;
//! let resolved = client.resolve(&image, &Platform::default()).await?;
//! for layer in &resolved.manifest.layers {
//!     let _bytes = client.blob(&resolved.pinned(), layer).await?;
//! }
//! # Ok(()) }
//! ```

mod client;
mod config;
mod credentials;
mod digest;
mod error;
mod host;
mod manifest;
mod platform;
pub mod provider;
mod reference;
mod transport;

pub use client::{BlobStream, BuildError, RegistryClient};
pub use config::{ClientConfig, RetryPolicy};
pub use credentials::{CredentialError, CredentialProvider, Credentials, StaticCredentials};
pub use digest::{Algorithm, Digest, DigestParseError};
pub use error::{BlobError, ListError, ManifestError, UnsupportedManifest};
pub use host::{HostParseError, RegistryHost};
pub use manifest::{Descriptor, ImageManifest, ResolvedImage};
pub use platform::{Platform, PlatformParseError};
pub use reference::{ImageReference, ReferenceParseError, Repository};
