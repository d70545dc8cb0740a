//! An OCI image layout directory (`oci:DIR[:TAG]`), as skopeo, umoci and
//! `docker buildx --output type=oci` write it.

use std::path::PathBuf;

use futures::FutureExt;
use futures::future::BoxFuture;
use tagwarden_registry::Platform;

use super::local::{Local, LocalFiles, Location};
use super::{Blob, BlobLocation, ImageProvider, LayerDescriptor, Resolved};
use crate::engine::ScanError;

/// Reads an image from an OCI layout directory.
#[derive(Debug, Clone)]
pub(crate) struct LayoutProvider {
    dir: PathBuf,
    tag: Option<String>,
    name: String,
}

impl LayoutProvider {
    pub(crate) fn new(dir: PathBuf, tag: Option<String>, name: String) -> Self {
        Self { dir, tag, name }
    }
}

/// Files of a layout directory.
#[derive(Debug)]
struct DirFiles<'a>(&'a std::path::Path);

impl LocalFiles for DirFiles<'_> {
    fn locate(&self, name: &str) -> Option<Location> {
        let path = self.0.join(name);
        let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file())?;
        Some(Location {
            path,
            offset: 0,
            len: meta.len(),
        })
    }
}

impl ImageProvider for LayoutProvider {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn resolve<'a>(&'a self, platform: &'a Platform) -> BoxFuture<'a, Result<Resolved, ScanError>> {
        let this = self.clone();
        let platform = platform.clone();
        async move {
            let name = this.name.clone();
            tokio::task::spawn_blocking(move || {
                if !this.dir.join("index.json").is_file() {
                    return Err(ScanError::NotFound {
                        image: this.name.clone(),
                        detail: format!(
                            "{} is not an OCI layout (no index.json)",
                            this.dir.display()
                        ),
                    });
                }
                let files = DirFiles(&this.dir);
                Local {
                    files: &files,
                    image: &this.name,
                }
                .resolve_oci(this.tag.as_deref(), &platform)
            })
            .await
            .unwrap_or_else(|e| {
                Err(ScanError::InvalidImage {
                    image: name,
                    detail: format!("resolving failed: {e}"),
                })
            })
        }
        .boxed()
    }

    fn open<'a>(&'a self, layer: &'a LayerDescriptor) -> BoxFuture<'a, Result<Blob, ScanError>> {
        async move { local_blob(&self.name, layer) }.boxed()
    }
}

/// A layer of a local source: read on the engine's blocking thread.
pub(super) fn local_blob(image: &str, layer: &LayerDescriptor) -> Result<Blob, ScanError> {
    match &layer.location {
        BlobLocation::File { path, offset, len } => Ok(Blob::File {
            path: path.clone(),
            offset: *offset,
            len: *len,
        }),
        BlobLocation::Registry { .. } => Err(ScanError::InvalidImage {
            image: image.to_owned(),
            detail: "a local image named a registry blob".to_owned(),
        }),
    }
}
