//! One layer blob in, its analysis out: decompress (gzip, zstd or none, as
//! the media type says and the first bytes confirm), hash both the blob and
//! the uncompressed tar (the diff id) as the bytes flow, and walk the tar.
//!
//! Everything here is blocking and runs on a blocking thread fed by the
//! download task, so a layer is never whole in memory: at most the
//! channel's chunks, the decoder's window and the wanted files.
//!
//! A layer's result is two parts, cached separately: its [`LayerShape`]
//! (what it deletes, its symlinks and which paths it writes), which no
//! analyzer changes, and one [`AnalyzerResult`] per analyzer.

pub(crate) mod path;
mod reader;
mod walk;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use crate::analyzer::{Analyzer, Findings};
use crate::inventory::{OsRelease, Package};
pub(crate) use reader::ChannelReader;
use reader::{Compression, HashingReader};

/// What a layer does to the filesystem, as far as merging layers needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LayerShape {
    /// Paths deleted from lower layers (`.wh.name` entries).
    pub(crate) whiteouts: BTreeSet<String>,
    /// Directories whose lower-layer contents are hidden (`.wh..wh..opq`).
    pub(crate) opaque_dirs: BTreeSet<String>,
    /// Symlinks the layer writes: path → target as written.
    pub(crate) symlinks: BTreeMap<String, String>,
    /// [`path::path_hash`] of every path the layer writes, sorted.
    pub(crate) entries: Vec<u64>,
    /// The same for entries that are not directories, sorted.
    pub(crate) non_dirs: Vec<u64>,
}

impl LayerShape {
    /// Whether the layer writes something at exactly `path`.
    pub(crate) fn writes(&self, path: &str) -> bool {
        self.entries.binary_search(&path::path_hash(path)).is_ok()
    }

    /// Whether the layer hides a lower layer's `path` by deleting it or a
    /// parent, making a parent opaque, or putting a non-directory where a
    /// parent directory was. Writing `path` itself is [`Self::writes`].
    pub(crate) fn hides_below(&self, path: &str) -> bool {
        self.whiteouts.contains(path)
            || path::ancestors(path).any(|dir| {
                self.whiteouts.contains(dir)
                    || self.opaque_dirs.contains(dir)
                    || self.non_dirs.binary_search(&path::path_hash(dir)).is_ok()
            })
    }
}

/// What one analyzer made of the files it wanted in one layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AnalyzerResult {
    /// Absolute path → what the file gave.
    pub(crate) files: BTreeMap<String, FileRecord>,
}

/// One wanted file of one layer, for one analyzer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FileRecord {
    /// The file was read and analyzed.
    Read(FoundInFile),
    /// The path is a symlink; followed in the final filesystem.
    Symlink,
    /// A hard link to a file the analyzer did not read in this layer;
    /// followed in the final filesystem.
    HardLink {
        /// Absolute path of the link's target.
        target: String,
    },
    /// Not read (too large); the warning says why.
    Skipped {
        /// For the operator.
        warning: String,
    },
    /// The analyzer could not read it.
    Failed {
        /// The analyzer's error.
        warning: String,
    },
}

/// [`Findings`] in a form that can be cached, packages' paths filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FoundInFile {
    pub(crate) packages: Vec<Package>,
    pub(crate) os: Option<OsRelease>,
    pub(crate) warnings: Vec<String>,
}

impl FileRecord {
    pub(crate) fn read(findings: Findings, path: &str) -> Self {
        let mut packages = findings.packages;
        for package in &mut packages {
            if package.path.is_empty() {
                package.path = path.to_owned();
            }
        }
        FileRecord::Read(FoundInFile {
            packages,
            os: findings.os,
            warnings: findings.warnings,
        })
    }
}

impl FoundInFile {
    /// The same findings for a hard link at `to` of the file at `from`.
    pub(crate) fn moved(&self, from: &str, to: &str) -> Self {
        let mut out = self.clone();
        for package in &mut out.packages {
            if package.path == from {
                package.path = to.to_owned();
            }
        }
        out
    }
}

/// A layer, analyzed.
#[derive(Debug)]
pub(crate) struct LayerOutput {
    /// `sha256:` of the uncompressed tar.
    pub(crate) diff_id: String,
    pub(crate) shape: LayerShape,
    /// One per analyzer asked for, in the same order.
    pub(crate) results: Vec<AnalyzerResult>,
}

/// Why a layer could not be analyzed. The engine adds the image and layer.
#[derive(Debug)]
pub(crate) enum LayerError {
    /// A media type that is not a filesystem layer, or one we cannot read.
    UnsupportedMediaType(String),
    /// A tar entry or link target outside the image root.
    Escape { entry: String, detail: &'static str },
    /// The blob's bytes do not hash to its digest.
    BlobDigest { expected: String, actual: String },
    /// Decompression or tar parsing failed (truncated, corrupt, mislabelled).
    Corrupt(String),
}

/// What the blob pipeline needs to know about one layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlobSpec<'a> {
    /// The descriptor's media type; empty when the source has none.
    pub(crate) media_type: &'a str,
    /// Digest to check the blob against, when the source does not.
    pub(crate) verify: Option<&'a str>,
    /// Files larger than this are not read.
    pub(crate) max_file: u64,
}

/// Analyzes one layer blob read from `blob` with `analyzers`.
pub(crate) fn analyze_blob<R: Read + Send>(
    blob: R,
    spec: BlobSpec<'_>,
    analyzers: &[&dyn Analyzer],
) -> Result<LayerOutput, LayerError> {
    let declared = Compression::from_media_type(spec.media_type)
        .map_err(|()| LayerError::UnsupportedMediaType(spec.media_type.to_owned()))?;
    let mut blob = HashingReader::new(blob, spec.verify.is_some());
    let walked = decompress_and_walk(&mut blob, declared, spec, analyzers);
    // Even when decompression failed, finish hashing the blob: a digest
    // mismatch explains a corrupt stream better than the decoder does.
    let digest = blob.finish();
    if let (Some(expected), Ok((actual, _))) = (spec.verify, &digest)
        && actual != expected
    {
        return Err(LayerError::BlobDigest {
            expected: expected.to_owned(),
            actual: actual.clone(),
        });
    }
    let (diff_id, shape, results) = walked?;
    digest.map_err(|e| LayerError::Corrupt(format!("reading the blob failed: {e}")))?;
    Ok(LayerOutput {
        diff_id,
        shape,
        results,
    })
}

type Walked = (String, LayerShape, Vec<AnalyzerResult>);

fn decompress_and_walk<R: Read + Send>(
    blob: R,
    declared: Option<Compression>,
    spec: BlobSpec<'_>,
    analyzers: &[&dyn Analyzer],
) -> Result<Walked, LayerError> {
    let (prefix, blob) = reader::peek(blob).map_err(|e| io_problem(e, None))?;
    let actual = Compression::sniff(&prefix);
    let compression = match declared {
        Some(declared) if declared != actual => {
            return Err(LayerError::Corrupt(format!(
                "media type {} says {} but the blob starts like {}",
                spec.media_type,
                declared.name(),
                actual.name()
            )));
        }
        _ => actual,
    };
    let decoder = reader::decoder(compression, blob).map_err(|e| io_problem(e, None))?;
    let mut tar = HashingReader::new(decoder, true);
    let (shape, results) = match walk::walk(&mut tar, analyzers, spec.max_file) {
        Ok(walked) => walked,
        Err(walk::WalkError::Escape { entry, problem }) => {
            return Err(LayerError::Escape {
                entry,
                detail: problem.describe(),
            });
        }
        Err(walk::WalkError::Io(e)) => return Err(io_problem(e, Some(compression))),
    };
    let (diff_id, _) = tar.finish().map_err(|e| io_problem(e, Some(compression)))?;
    Ok((diff_id, shape, results))
}

/// Words for a failed read: a stream that stops early is truncated.
fn io_problem(e: io::Error, compression: Option<Compression>) -> LayerError {
    let what = compression.map_or("blob", Compression::name);
    if e.kind() == io::ErrorKind::UnexpectedEof {
        LayerError::Corrupt(format!("the {what} stream ends early (truncated): {e}"))
    } else {
        LayerError::Corrupt(format!("reading the {what} stream failed: {e}"))
    }
}

#[cfg(test)]
mod tests;
