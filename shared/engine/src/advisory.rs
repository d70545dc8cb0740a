//! The advisory database: OSV records imported into a file that opens in
//! milliseconds and answers "which records name this package in this
//! ecosystem" with one lookup.
//!
//! - [`osv`]: the record format, our own serde types;
//! - [`load`]: reading records from a directory or zip, skipping bad ones;
//! - [`ecosystem`]: the one spelling of ecosystem and package names that
//!   import and matching share;
//! - [`entry`]: what is stored per package and per record;
//! - [`import`] and [`store`]: writing and reading the redb file;
//! - [`download`]: fetching the public OSV export per ecosystem;
//! - [`severity`]: turning CVSS vectors and severity words into a rating.

use std::path::{Path, PathBuf};

pub mod download;
pub mod ecosystem;
pub mod entry;
pub mod import;
pub mod load;
pub mod osv;
pub mod severity;
pub mod status;
pub mod store;

pub use download::{DownloadError, download_export};
pub use entry::{Advisory, AffectedEntry, AffectedRange, RangeEvent, RangeKind};
pub use import::{ImportSummary, build, import};
pub use load::{LoadedSet, SkippedRecord};
pub use severity::{Rating, RatingSource, Severity};
pub use status::{DatabaseStatus, DatabaseVersion, EcosystemCounts};
pub use store::{AdvisoryDb, Reader};

/// Why the database could not be built or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdvisoryError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A zip archive could not be read.
    #[error("{path}: not a readable zip archive: {reason}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// What the zip reader said.
        reason: String,
    },
    /// No database exists at the path (run `vulndb import` first).
    #[error("no advisory database at {0}; import one with `tagwardenctl vulndb import`")]
    NotFound(PathBuf),
    /// The database file could not be opened, read or written.
    #[error("advisory database {path}: {source}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// The storage engine's error.
        #[source]
        source: Box<redb::Error>,
    },
    /// The database file holds something this build cannot read.
    #[error("advisory database {path} is unreadable: {reason}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A value could not be encoded for storage (a bug, not bad input).
    #[error("could not encode a stored value: {0}")]
    Encode(String),
}

impl AdvisoryError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> AdvisoryError {
        AdvisoryError::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn store(path: &Path, source: redb::Error) -> AdvisoryError {
        AdvisoryError::Store {
            path: path.to_owned(),
            source: Box::new(source),
        }
    }
}
