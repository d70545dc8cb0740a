//! Where images come from: a registry, an OCI layout directory, or a
//! `docker save` tarball. Each is an [`ImageProvider`]: it resolves the
//! image to one platform's manifest, config diff ids and layer list, and
//! opens layer blobs. The engine does the rest the same way for all three,
//! which is why one image gives one inventory whatever its source.

mod archive;
mod layout;
pub(crate) mod local;
mod oci;
mod registry;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use tagwarden_registry::{ImageReference, Platform, ReferenceParseError};

use crate::engine::ScanError;

pub(crate) use archive::ArchiveProvider;
pub(crate) use layout::LayoutProvider;
pub(crate) use registry::RegistryProvider;

/// An image as a user names it on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// `host/repo:tag` or `host/repo@sha256:…` in a registry.
    Registry(ImageReference),
    /// `oci:DIR[:TAG]`: an OCI image layout; without a tag, the only image
    /// in it.
    Layout {
        /// The layout directory (holding `index.json`).
        dir: PathBuf,
        /// The `org.opencontainers.image.ref.name` to pick.
        tag: Option<String>,
    },
    /// `docker-archive:FILE[:REF]`: a `docker save` tarball, in the classic
    /// layout (`manifest.json`) or the OCI layout newer Docker writes;
    /// without a reference, the only image in it.
    Archive {
        /// The tarball.
        file: PathBuf,
        /// A `RepoTags` entry (or OCI ref name) to pick.
        reference: Option<String>,
    },
}

/// Why a command-line image name was not understood.
#[derive(Debug, thiserror::Error)]
#[error(
    "{input:?} is not an image: give a registry reference (host/repo:tag), \
     oci:DIR[:TAG], docker-archive:FILE[:REF], or an existing layout directory or \
     tarball ({reason})"
)]
pub struct SourceParseError {
    input: String,
    #[source]
    reason: ReferenceParseError,
}

impl FromStr for ImageSource {
    type Err = SourceParseError;

    /// Understands `oci:`, `docker-archive:` and `docker://` prefixes, an
    /// existing path (a directory with `index.json` is a layout, a file is
    /// an archive), and otherwise a registry reference.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if let Some(rest) = input.strip_prefix("oci:") {
            let (dir, tag) = split_suffix(rest);
            return Ok(ImageSource::Layout { dir, tag });
        }
        if let Some(rest) = input.strip_prefix("docker-archive:") {
            let (file, reference) = split_suffix(rest);
            return Ok(ImageSource::Archive { file, reference });
        }
        let path = Path::new(input);
        if path.is_dir() && path.join("index.json").is_file() {
            return Ok(ImageSource::Layout {
                dir: path.to_owned(),
                tag: None,
            });
        }
        if path.is_file() {
            return Ok(ImageSource::Archive {
                file: path.to_owned(),
                reference: None,
            });
        }
        let reference = input.strip_prefix("docker://").unwrap_or(input);
        reference
            .parse()
            .map(ImageSource::Registry)
            .map_err(|reason| SourceParseError {
                input: input.to_owned(),
                reason,
            })
    }
}

/// `PATH[:SUFFIX]`: the whole string when it names an existing path, else
/// split at the last `:` (paths with colons must exist to be recognised).
fn split_suffix(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    match rest.split_once(':') {
        Some((path, suffix)) if !suffix.is_empty() => {
            (PathBuf::from(path), Some(suffix.to_owned()))
        }
        _ => (PathBuf::from(rest), None),
    }
}

impl fmt::Display for ImageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, path, suffix) = match self {
            ImageSource::Registry(reference) => return write!(f, "{reference}"),
            ImageSource::Layout { dir, tag } => ("oci", dir, tag),
            ImageSource::Archive { file, reference } => ("docker-archive", file, reference),
        };
        write!(f, "{prefix}:{}", path.display())?;
        if let Some(suffix) = suffix {
            write!(f, ":{suffix}")?;
        }
        Ok(())
    }
}

/// An image resolved to one platform.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// Digest of the image manifest.
    pub(crate) digest: Option<String>,
    /// The platform picked from an index, or the config's own.
    pub(crate) platform: Option<String>,
    /// Layers, base first, each with its diff id from the config.
    pub(crate) layers: Vec<LayerDescriptor>,
}

/// One layer of a resolved image.
#[derive(Debug, Clone)]
pub(crate) struct LayerDescriptor {
    /// The blob's digest as the manifest names it (for archives without
    /// one, the diff id).
    pub(crate) digest: String,
    /// Empty when the source has none (classic `docker save`).
    pub(crate) media_type: String,
    /// Blob size in bytes.
    pub(crate) size: u64,
    /// From the config's `rootfs.diff_ids`; checked against the tar.
    pub(crate) diff_id: String,
    /// Digest the engine must check the blob against itself (local
    /// sources); `None` when the source verifies (the registry client) or
    /// when only the diff id is known.
    pub(crate) verify: Option<String>,
    pub(crate) location: BlobLocation,
}

/// Where a blob's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum BlobLocation {
    /// `len` bytes at `offset` in a local file.
    File {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    /// In a registry.
    Registry {
        image: ImageReference,
        descriptor: tagwarden_registry::Descriptor,
    },
}

/// An opened blob.
pub(crate) enum Blob {
    /// Read on the blocking thread.
    File {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    /// Chunks from the network, already verified by the registry client.
    Stream(BoxStream<'static, Result<Bytes, ScanError>>),
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blob::File { path, offset, len } => {
                write!(f, "Blob::File({}@{offset}+{len})", path.display())
            }
            Blob::Stream(_) => f.write_str("Blob::Stream"),
        }
    }
}

/// A place images come from.
pub(crate) trait ImageProvider: Send + Sync + fmt::Debug {
    /// The image's name in messages and reports.
    fn name(&self) -> String;

    /// Picks the image for `platform` and reads its manifest and config.
    fn resolve<'a>(&'a self, platform: &'a Platform) -> BoxFuture<'a, Result<Resolved, ScanError>>;

    /// Opens one layer blob for reading.
    fn open<'a>(&'a self, layer: &'a LayerDescriptor) -> BoxFuture<'a, Result<Blob, ScanError>>;
}

#[cfg(test)]
mod tests;
