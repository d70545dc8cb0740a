//! A `docker save` tarball (`docker-archive:FILE[:REF]`). Two layouts
//! exist: the classic one (`manifest.json`, `<id>/layer.tar` or
//! `<hex>.tar`, configs as `<hex>.json`) and the OCI layout Docker 25 and
//! later write inside the tarball (`index.json`, `blobs/sha256/…`, plus a
//! `manifest.json` for older tools). The OCI one is preferred when present,
//! since it carries media types and platforms.
//!
//! The tarball is indexed once (member name → offset and size, symlinked
//! members followed, as `docker save` links duplicate layers), and layers
//! are then read straight from their offsets: nothing is unpacked to disk.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use futures::FutureExt;
use futures::future::BoxFuture;
use tagwarden_registry::Platform;

use super::layout::local_blob;
use super::local::{Local, LocalFiles, Location};
use super::{Blob, ImageProvider, LayerDescriptor, Resolved};
use crate::engine::ScanError;
use crate::layer::path;

/// Reads an image from a `docker save` tarball.
#[derive(Debug, Clone)]
pub(crate) struct ArchiveProvider {
    file: PathBuf,
    reference: Option<String>,
    name: String,
}

impl ArchiveProvider {
    pub(crate) fn new(file: PathBuf, reference: Option<String>, name: String) -> Self {
        Self {
            file,
            reference,
            name,
        }
    }

    fn resolve_blocking(&self, platform: &Platform) -> Result<Resolved, ScanError> {
        let members = TarMembers::index(&self.file).map_err(|source| ScanError::Io {
            image: self.name.clone(),
            path: self.file.display().to_string(),
            source,
        })?;
        let local = Local {
            files: &members,
            image: &self.name,
        };
        if members.locate("index.json").is_some() && members.locate("oci-layout").is_some() {
            local.resolve_oci(self.reference.as_deref(), platform)
        } else {
            local.resolve_docker(self.reference.as_deref())
        }
    }
}

impl ImageProvider for ArchiveProvider {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn resolve<'a>(&'a self, platform: &'a Platform) -> BoxFuture<'a, Result<Resolved, ScanError>> {
        let this = self.clone();
        let platform = platform.clone();
        async move {
            let name = this.name.clone();
            tokio::task::spawn_blocking(move || this.resolve_blocking(&platform))
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

/// Regular members of a tarball by normalised name, and links to them
/// (targets already made absolute).
#[derive(Debug)]
struct TarMembers {
    file: PathBuf,
    files: HashMap<String, (u64, u64)>,
    links: HashMap<String, String>,
}

impl TarMembers {
    fn index(file: &Path) -> io::Result<Self> {
        let mut archive = tar::Archive::new(BufReader::new(File::open(file)?));
        let mut members = TarMembers {
            file: file.to_owned(),
            files: HashMap::new(),
            links: HashMap::new(),
        };
        for entry in archive.entries_with_seek()? {
            let entry = entry?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Ok(name) = path::normalize_entry(&raw) else {
                continue;
            };
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    members
                        .files
                        .insert(name, (entry.raw_file_position(), entry.size()));
                }
                kind @ (tar::EntryType::Symlink | tar::EntryType::Link) => {
                    let Some(target) = entry.link_name_bytes() else {
                        continue;
                    };
                    let target = String::from_utf8_lossy(&target);
                    // Symlinks are relative to their directory, hard links
                    // to the archive root.
                    let base = match kind {
                        tar::EntryType::Symlink if !target.starts_with('/') => {
                            path::parent(&name).unwrap_or("/").to_owned()
                        }
                        _ => String::new(),
                    };
                    if let Ok(target) = path::normalize_entry(&format!("{base}/{target}")) {
                        members.links.insert(name, target);
                    }
                }
                _ => {}
            }
        }
        Ok(members)
    }
}

impl LocalFiles for TarMembers {
    fn locate(&self, name: &str) -> Option<Location> {
        let mut current = path::normalize_entry(name).ok()?;
        for _ in 0..8 {
            if let Some(&(offset, len)) = self.files.get(&current) {
                return Some(Location {
                    path: self.file.clone(),
                    offset,
                    len,
                });
            }
            current = self.links.get(&current)?.clone();
        }
        None
    }
}
