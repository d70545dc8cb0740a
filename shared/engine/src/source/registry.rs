//! An image in an OCI Distribution registry, through `tagwarden-registry`:
//! it resolves indexes to one platform, refuses schema 1, and verifies
//! every blob's digest as it streams, so the engine does not hash blobs
//! from here again.

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use tagwarden_registry::{ImageReference, Platform, RegistryClient};

use super::oci;
use super::{Blob, BlobLocation, ImageProvider, LayerDescriptor, Resolved};
use crate::engine::ScanError;

/// Reads an image from a registry.
#[derive(Debug, Clone)]
pub(crate) struct RegistryProvider {
    client: RegistryClient,
    image: ImageReference,
    name: String,
}

impl RegistryProvider {
    pub(crate) fn new(client: RegistryClient, image: ImageReference) -> Self {
        let name = image.to_string();
        Self {
            client,
            image,
            name,
        }
    }

    async fn resolve_image(&self, platform: &Platform) -> Result<Resolved, ScanError> {
        let resolved = self
            .client
            .resolve(&self.image, platform)
            .await
            .map_err(|e| ScanError::from_manifest(&self.name, e))?;
        let config_bytes = self
            .client
            .config_blob(&resolved)
            .await
            .map_err(|e| ScanError::from_blob(&self.name, "image config", e))?;
        let config =
            oci::parse_config(&config_bytes).map_err(|detail| ScanError::InvalidImage {
                image: self.name.clone(),
                detail,
            })?;
        let layers = &resolved.manifest.layers;
        if config.diff_ids.len() != layers.len() {
            return Err(ScanError::InvalidImage {
                image: self.name.clone(),
                detail: format!(
                    "the manifest lists {} layers but the config {} diff ids",
                    layers.len(),
                    config.diff_ids.len()
                ),
            });
        }
        let pinned = resolved.pinned();
        let layers = layers
            .iter()
            .zip(config.diff_ids)
            .map(|(descriptor, diff_id)| LayerDescriptor {
                digest: descriptor.digest.to_string(),
                media_type: descriptor.media_type.clone(),
                size: descriptor.size,
                diff_id,
                verify: None,
                location: BlobLocation::Registry {
                    image: pinned.clone(),
                    descriptor: descriptor.clone(),
                },
            })
            .collect();
        Ok(Resolved {
            digest: Some(resolved.digest.to_string()),
            platform: resolved.platform.map(|p| p.to_string()).or(config.platform),
            layers,
        })
    }
}

impl ImageProvider for RegistryProvider {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn resolve<'a>(&'a self, platform: &'a Platform) -> BoxFuture<'a, Result<Resolved, ScanError>> {
        self.resolve_image(platform).boxed()
    }

    fn open<'a>(&'a self, layer: &'a LayerDescriptor) -> BoxFuture<'a, Result<Blob, ScanError>> {
        async move {
            let BlobLocation::Registry { image, descriptor } = &layer.location else {
                return Err(ScanError::InvalidImage {
                    image: self.name.clone(),
                    detail: "a registry image named a local blob".to_owned(),
                });
            };
            let what = format!("layer blob {}", layer.digest);
            let stream = self
                .client
                .blob(image, descriptor)
                .await
                .map_err(|e| ScanError::from_blob(&self.name, &what, e))?;
            let name = self.name.clone();
            let chunks =
                stream.map(move |chunk| chunk.map_err(|e| ScanError::from_blob(&name, &what, e)));
            Ok(Blob::Stream(chunks.boxed()))
        }
        .boxed()
    }
}
