//! Analyzers turn files of an image into packages and the OS identity.
//!
//! Each analyzer is a small unit with a name and a version, and says which
//! files it needs. The layer walker reads only those files, hands each to
//! the analyzers that want it, and caches what they returned per layer,
//! keyed by the layer's diff id and the analyzer versions: bumping one
//! analyzer's version invalidates only its own cached results.
//!
//! Analyzers see one file at a time and never touch the filesystem or the
//! network, so each is tested with plain bytes.

use thiserror::Error;

use crate::inventory::{OsRelease, Package};

/// What the walker knows about a file before reading it.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta<'a> {
    /// Absolute path inside the image, normalised (`/var/lib/dpkg/status`).
    pub path: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Unix permission bits (`0o755`), to recognise executables.
    pub mode: u32,
}

impl FileMeta<'_> {
    /// True when any execute bit is set.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// A file an analyzer asked for, with its contents.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    /// Absolute path inside the image.
    pub path: &'a str,
    /// The whole file.
    pub contents: &'a [u8],
}

/// What one analyzer found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Packages; the walker fills in `path` and `layer` if left empty.
    pub packages: Vec<Package>,
    /// The OS identity, from OS release files.
    pub os: Option<OsRelease>,
    /// Problems worth telling the operator about, that did not stop the scan.
    pub warnings: Vec<String>,
}

/// An analyzer could not read a file it asked for.
#[derive(Debug, Error)]
#[error("{analyzer} could not read {path}: {reason}")]
pub struct AnalyzeError {
    /// The analyzer's name.
    pub analyzer: &'static str,
    /// The file.
    pub path: String,
    /// What was wrong, naming the field or line where possible.
    pub reason: String,
}

/// One kind of file reader.
pub trait Analyzer: Send + Sync + std::fmt::Debug {
    /// Stable name, e.g. `dpkg`, used in cache keys and messages.
    fn name(&self) -> &'static str;

    /// Bump when the analyzer's output for the same input changes, so cached
    /// layer results from the older version are not reused.
    fn version(&self) -> u32;

    /// Whether this analyzer needs the file. Called for every file of every
    /// layer, so it must be cheap: look at the path, size and mode only.
    fn wants(&self, file: &FileMeta<'_>) -> bool;

    /// Reads one file it wanted.
    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError>;
}
