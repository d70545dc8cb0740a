//! The engine's entry point: an image in, its exact package inventory out.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tagwarden_engine::engine::{Engine, EngineConfig};
//!
//! let engine = Engine::new(EngineConfig {
//!     cache_dir: Some("/var/cache/tagwarden".into()),
//!     ..EngineConfig::default()
//! })?;
//! let scanned = engine.inventory(&"127.0.0.1:5000/team/app:v1".parse()?).await?;
//! println!("{} packages", scanned.inventory.packages.len());
//! # Ok(()) }
//! ```
//!
//! Steps: the source resolves the image to one platform's manifest and the
//! config's diff ids; each layer is taken from the cache when every
//! analyzer's result for its diff id is there, and otherwise streamed
//! (several layers at once, bounded) through decompression, hashing and
//! the tar walk, its diff id checked against the config; the per-layer
//! results are merged into the final filesystem's inventory.

mod error;
mod layers;

use std::path::PathBuf;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use tagwarden_registry::{
    BuildError, ClientConfig, CredentialProvider, Platform, RegistryClient, RegistryHost,
    StaticCredentials,
};

pub use error::ScanError;

use crate::analyzer::Analyzer;
use crate::analyzers;
use crate::cache::LayerCache;
use crate::inventory::Inventory;
use crate::overlay::{self, LayerView};
use crate::source::{
    ArchiveProvider, ImageProvider, ImageSource, LayoutProvider, RegistryProvider,
};

/// Files larger than this are not read by analyzers (64 MiB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// How an [`Engine`] works.
#[derive(Debug)]
pub struct EngineConfig {
    /// Where per-layer results are cached; `None` caches nothing.
    pub cache_dir: Option<PathBuf>,
    /// The platform picked from multi-platform images.
    pub platform: Platform,
    /// Registries reached over plain HTTP although not on loopback.
    pub insecure_registries: Vec<RegistryHost>,
    /// Credentials for registries (anonymous by default).
    pub credentials: Arc<dyn CredentialProvider>,
    /// Layers downloaded and analyzed at the same time.
    pub concurrency: usize,
    /// Files larger than this are skipped with a warning.
    pub max_file_size: u64,
    /// The analyzers to run ([`analyzers::all`] by default).
    pub analyzers: Vec<Box<dyn Analyzer>>,
    /// Told about layer progress, for progress bars.
    pub progress: Option<Arc<dyn Progress>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            platform: Platform::default(),
            insecure_registries: Vec::new(),
            credentials: Arc::new(StaticCredentials::anonymous()),
            concurrency: 3,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            analyzers: analyzers::all(),
            progress: None,
        }
    }
}

/// Receives progress while an image is scanned. Called from several
/// tasks and threads at once.
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// A layer is about to be downloaded (`size` bytes of blob).
    fn layer_started(&self, digest: &str, size: u64);
    /// `bytes` more of some layer's blob were read.
    fn advanced(&self, bytes: u64);
    /// A layer is done; `from_cache` when it was not downloaded at all.
    fn layer_finished(&self, digest: &str, size: u64, from_cache: bool);
}

/// One image, scanned.
#[derive(Debug, Clone, Serialize)]
pub struct ScannedImage {
    /// The image as asked for.
    pub reference: String,
    /// The image manifest's digest (none for classic `docker save`
    /// archives, which carry no manifest).
    pub digest: Option<String>,
    /// The platform scanned, from the index entry or the config.
    pub platform: Option<String>,
    /// The layers, base first.
    pub layers: Vec<ScannedLayer>,
    /// What the image contains.
    pub inventory: Inventory,
}

/// One layer of a scanned image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScannedLayer {
    /// The blob digest as the manifest names it.
    pub digest: String,
    /// The uncompressed tar's digest, verified.
    pub diff_id: String,
    /// The blob's media type (empty in classic `docker save` archives).
    pub media_type: String,
    /// Blob size in bytes.
    pub size: u64,
    /// True when every result came from the cache and nothing was read.
    pub from_cache: bool,
}

/// The engine could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("could not set up the scanning engine")]
pub struct EngineError(#[from] BuildError);

/// Turns images into inventories. Cheap to share: scans may run
/// concurrently on one engine.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    analyzers: Arc<Vec<Box<dyn Analyzer>>>,
    cache: LayerCache,
    platform: Platform,
    concurrency: usize,
    max_file_size: u64,
    progress: Option<Arc<dyn Progress>>,
    client: RegistryClient,
}

impl Engine {
    /// An engine with `config`.
    pub fn new(config: EngineConfig) -> Result<Self, EngineError> {
        let client_config = ClientConfig {
            insecure_registries: config.insecure_registries,
            ..ClientConfig::default()
        };
        let client = RegistryClient::new(client_config, config.credentials)?;
        Ok(Self {
            inner: Arc::new(Inner {
                analyzers: Arc::new(config.analyzers),
                cache: LayerCache::new(config.cache_dir),
                platform: config.platform,
                concurrency: config.concurrency.max(1),
                max_file_size: config.max_file_size,
                progress: config.progress,
                client,
            }),
        })
    }

    /// Scans `source` and returns its inventory.
    #[tracing::instrument(skip(self), fields(image = %source))]
    pub async fn inventory(&self, source: &ImageSource) -> Result<ScannedImage, ScanError> {
        let name = source.to_string();
        let provider: Box<dyn ImageProvider> = match source {
            ImageSource::Registry(image) => Box::new(RegistryProvider::new(
                self.inner.client.clone(),
                image.clone(),
            )),
            ImageSource::Layout { dir, tag } => {
                Box::new(LayoutProvider::new(dir.clone(), tag.clone(), name))
            }
            ImageSource::Archive { file, reference } => {
                Box::new(ArchiveProvider::new(file.clone(), reference.clone(), name))
            }
        };
        self.inventory_from(provider.as_ref()).await
    }

    async fn inventory_from(
        &self,
        provider: &dyn ImageProvider,
    ) -> Result<ScannedImage, ScanError> {
        let inner = &self.inner;
        let resolved = provider.resolve(&inner.platform).await?;
        tracing::debug!(layers = resolved.layers.len(), digest = ?resolved.digest, "resolved");
        let analyzed: Vec<layers::LayerAnalysis> =
            futures::stream::iter(resolved.layers.iter().enumerate())
                .map(|(index, layer)| layers::analyze_layer(inner.as_ref(), provider, index, layer))
                .buffered(inner.concurrency)
                .try_collect()
                .await?;
        let views: Vec<LayerView<'_>> = analyzed
            .iter()
            .map(|a| LayerView {
                diff_id: &a.diff_id,
                shape: &a.shape,
                results: &a.results,
            })
            .collect();
        let inventory = overlay::merge(&views, inner.analyzers.len());
        let layers: Vec<ScannedLayer> = resolved
            .layers
            .iter()
            .zip(&analyzed)
            .map(|(layer, analysis)| ScannedLayer {
                digest: layer.digest.clone(),
                diff_id: layer.diff_id.clone(),
                media_type: layer.media_type.clone(),
                size: layer.size,
                from_cache: analysis.from_cache,
            })
            .collect();
        tracing::info!(
            image = %provider.name(),
            packages = inventory.packages.len(),
            layers = layers.len(),
            cached = layers.iter().filter(|l| l.from_cache).count(),
            "scan completed"
        );
        Ok(ScannedImage {
            reference: provider.name(),
            digest: resolved.digest,
            platform: resolved.platform,
            layers,
            inventory,
        })
    }
}
