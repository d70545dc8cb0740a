//! The advisory database this instance matches with: a redb file written
//! by the engine's importer, opened read-only and reopened whenever the
//! file is replaced (an import here, or by another instance sharing the
//! file), so no instance matches with an outdated copy for longer than
//! one scan.
//!
//! Imports read a directory or zip of OSV records, or download a zip from
//! an http(s) URL first; several sources may be given, separated by
//! commas. An import that yields no advisory at all is refused: an empty
//! database would mark every issue of every target fixed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use tagwarden_engine::advisory::{self, AdvisoryDb, AdvisoryError, DatabaseStatus};
use tracing::info;

/// Why an import did not produce a new database.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImportError {
    /// The source names nothing usable.
    #[error("{0:?} is neither an existing directory or zip of OSV records nor an http(s) URL")]
    Source(String),
    /// A URL could not be fetched.
    #[error("could not download {url}: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The records could not be read or the file not written.
    #[error("import failed: {0}")]
    Advisory(#[from] AdvisoryError),
    /// The sources held no usable advisory.
    #[error(
        "the sources hold no usable advisory ({skipped} records skipped); keeping the current database"
    )]
    Empty {
        /// Malformed records skipped.
        skipped: usize,
    },
}

impl ImportError {
    /// Whether the caller asked for something that cannot work, rather
    /// than hitting a passing failure.
    pub(crate) fn is_bad_source(&self) -> bool {
        matches!(self, Self::Source(_) | Self::Empty { .. })
    }
}

/// The database file and the copy of it open now.
#[derive(Debug)]
pub(crate) struct Vulndb {
    path: PathBuf,
    open: Mutex<Option<(Stamp, Arc<AdvisoryDb>)>>,
    /// One import at a time: they write the same temporary file.
    importing: tokio::sync::Mutex<()>,
    http: reqwest::Client,
}

/// What identifies one version of the file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Vulndb {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            open: Mutex::new(None),
            importing: tokio::sync::Mutex::new(()),
            http: reqwest::Client::new(),
        }
    }

    /// The database as the file holds it now; `None` before any import.
    pub(crate) fn current(&self) -> Result<Option<Arc<AdvisoryDb>>, AdvisoryError> {
        let Some(stamp) = stamp(&self.path) else {
            return Ok(None);
        };
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, db)) = open.as_ref()
            && *seen == stamp
        {
            return Ok(Some(db.clone()));
        }
        let db = Arc::new(AdvisoryDb::open(&self.path)?);
        *open = Some((stamp, db.clone()));
        Ok(Some(db))
    }

    /// The status of the current database, if there is one.
    pub(crate) fn status(&self) -> Result<Option<DatabaseStatus>, AdvisoryError> {
        Ok(self.current()?.map(|db| db.status().clone()))
    }

    /// Builds a new database from `sources` (comma separated) and puts it
    /// in place of the current one. Returns the new status.
    pub(crate) async fn import(&self, sources: &str) -> Result<DatabaseStatus, ImportError> {
        let _one = self.importing.lock().await;
        let download = tempfile::tempdir().map_err(|e| AdvisoryError::Io {
            path: std::env::temp_dir(),
            source: e,
        })?;
        let mut paths = Vec::new();
        for (n, source) in sources.split(',').map(str::trim).enumerate() {
            if source.is_empty() {
                continue;
            }
            paths.push(self.fetch(source, download.path(), n).await?);
        }
        if paths.is_empty() {
            return Err(ImportError::Source(sources.to_owned()));
        }
        let db_path = self.path.clone();
        let staging = db_path.with_extension("staging.redb");
        let summary = tokio::task::spawn_blocking(move || advisory::import(&paths, &staging))
            .await
            .map_err(|e| AdvisoryError::Encode(format!("import task failed: {e}")))??;
        if summary.status.advisories == 0 {
            let _ = std::fs::remove_file(db_path.with_extension("staging.redb"));
            return Err(ImportError::Empty {
                skipped: summary.skipped.len(),
            });
        }
        let staging = db_path.with_extension("staging.redb");
        std::fs::rename(&staging, &db_path).map_err(|e| AdvisoryError::Io {
            path: db_path.clone(),
            source: e,
        })?;
        info!(
            version = %summary.status.version,
            advisories = summary.status.advisories,
            skipped = summary.skipped.len(),
            "advisory database replaced"
        );
        Ok(summary.status)
    }

    /// A local path for one source: itself, or where its download went.
    async fn fetch(&self, source: &str, dir: &Path, n: usize) -> Result<PathBuf, ImportError> {
        if !(source.starts_with("http://") || source.starts_with("https://")) {
            let path = PathBuf::from(source);
            return if path.exists() {
                Ok(path)
            } else {
                Err(ImportError::Source(source.to_owned()))
            };
        }
        // Errors name the URL without its password, and reqwest's errors
        // are stripped of the URL they would repeat.
        let failed = |reason: String| ImportError::Download {
            url: tagwarden_runtime::db::redact(source),
            reason,
        };
        let response = self
            .http
            .get(source)
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let file = dir.join(format!("source-{n}.zip"));
        std::fs::write(&file, &body).map_err(|e| AdvisoryError::Io {
            path: file.clone(),
            source: e,
        })?;
        Ok(file)
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode: meta.ino(),
    })
}
