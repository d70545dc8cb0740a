//! The on-disk database: a redb file with three tables.
//!
//! - `affected`: `"{ecosystem}\0{package}"` → the postcard-encoded
//!   [`AffectedEntry`] list of every record naming that package;
//! - `advisories`: record id → postcard [`Advisory`];
//! - `meta`: `"status"` → the JSON [`DatabaseStatus`].
//!
//! Why redb: opening reads only the file header and the small status value,
//! so a scanner opens a 60 MB database in a few milliseconds, and a lookup
//! is one B-tree descent in pages the OS already caches; a database is
//! replaced by writing a new file and renaming it over the old one, so a
//! reader never sees half an import. The benchmark in
//! `benches/advisory_db.rs` holds the figures. Memory-mapping our own index
//! would need `unsafe`, which this workspace forbids.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use redb::{ReadOnlyDatabase, ReadOnlyTable, ReadableDatabase, ReadableTable, TableDefinition};

use super::AdvisoryError;
use super::ecosystem::{index_key, normalize_ecosystem};
use super::entry::{Advisory, AffectedEntry};
use super::status::DatabaseStatus;

pub(crate) const AFFECTED: TableDefinition<&str, &[u8]> = TableDefinition::new("affected");
pub(crate) const ADVISORIES: TableDefinition<&str, &[u8]> = TableDefinition::new("advisories");
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const STATUS_KEY: &str = "status";
/// Bump when the tables' encoding changes.
pub(crate) const FORMAT: u32 = 2;

/// An opened advisory database (read-only).
pub struct AdvisoryDb {
    db: ReadOnlyDatabase,
    status: DatabaseStatus,
    covered: BTreeSet<String>,
    path: PathBuf,
}

impl std::fmt::Debug for AdvisoryDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdvisoryDb")
            .field("path", &self.path)
            .field("version", &self.status.version)
            .finish_non_exhaustive()
    }
}

impl AdvisoryDb {
    /// Opens the database at `path`.
    pub fn open(path: &Path) -> Result<AdvisoryDb, AdvisoryError> {
        let store = |e: redb::Error| AdvisoryError::store(path, e);
        if !path.exists() {
            return Err(AdvisoryError::NotFound(path.to_owned()));
        }
        let db = ReadOnlyDatabase::open(path).map_err(|e| store(e.into()))?;
        let txn = db.begin_read().map_err(|e| store(e.into()))?;
        let meta = txn.open_table(META).map_err(|e| store(e.into()))?;
        let raw = meta
            .get(STATUS_KEY)
            .map_err(|e| store(e.into()))?
            .ok_or_else(|| AdvisoryError::Corrupt {
                path: path.to_owned(),
                reason: "no status record".into(),
            })?;
        let status: DatabaseStatus =
            serde_json::from_slice(raw.value()).map_err(|e| AdvisoryError::Corrupt {
                path: path.to_owned(),
                reason: format!("status record: {e}"),
            })?;
        if status.format != FORMAT {
            return Err(AdvisoryError::Corrupt {
                path: path.to_owned(),
                reason: format!(
                    "storage format {} (this build reads {FORMAT}); import again",
                    status.format
                ),
            });
        }
        drop(raw);
        drop(meta);
        drop(txn);
        let covered = status.ecosystems.keys().cloned().collect();
        Ok(AdvisoryDb {
            db,
            status,
            covered,
            path: path.to_owned(),
        })
    }

    /// The database's version and contents.
    pub fn status(&self) -> &DatabaseStatus {
        &self.status
    }

    /// Whether the database holds any data for `ecosystem` (with its
    /// release). A package of an uncovered ecosystem cannot be said to have
    /// no vulnerabilities.
    pub fn covers(&self, ecosystem: &str) -> bool {
        self.covered.contains(&normalize_ecosystem(ecosystem))
    }

    /// A consistent read view for many lookups (one scan).
    pub fn reader(&self) -> Result<Reader<'_>, AdvisoryError> {
        let store = |e: redb::Error| AdvisoryError::store(&self.path, e);
        let txn = self.db.begin_read().map_err(|e| store(e.into()))?;
        Ok(Reader {
            affected: txn.open_table(AFFECTED).map_err(|e| store(e.into()))?,
            advisories: txn.open_table(ADVISORIES).map_err(|e| store(e.into()))?,
            db: self,
        })
    }
}

/// Lookups against one snapshot of the database.
#[derive(Debug)]
pub struct Reader<'a> {
    affected: ReadOnlyTable<&'static str, &'static [u8]>,
    advisories: ReadOnlyTable<&'static str, &'static [u8]>,
    db: &'a AdvisoryDb,
}

impl Reader<'_> {
    /// Every affected entry for (ecosystem, package); names are normalised
    /// the way the importer stored them.
    pub fn affected(
        &self,
        ecosystem: &str,
        name: &str,
    ) -> Result<Vec<AffectedEntry>, AdvisoryError> {
        let key = index_key(ecosystem, name);
        let path = &self.db.path;
        let Some(raw) = self
            .affected
            .get(key.as_str())
            .map_err(|e| AdvisoryError::store(path, e.into()))?
        else {
            return Ok(Vec::new());
        };
        postcard::from_bytes(raw.value()).map_err(|e| AdvisoryError::Corrupt {
            path: path.clone(),
            reason: format!("entries of {key:?}: {e}"),
        })
    }

    /// Calls `f` with the entries for (ecosystem, package) decoded in
    /// place, borrowing their strings from the database page, and listed
    /// versions as bytes: the matcher's path, which must neither allocate
    /// nor validate every listed version.
    pub fn with_affected<T>(
        &self,
        ecosystem: &str,
        name: &str,
        f: impl FnOnce(&[AffectedEntry<&str, &[u8]>]) -> T,
    ) -> Result<T, AdvisoryError> {
        let key = index_key(ecosystem, name);
        let path = &self.db.path;
        let Some(raw) = self
            .affected
            .get(key.as_str())
            .map_err(|e| AdvisoryError::store(path, e.into()))?
        else {
            return Ok(f(&[]));
        };
        let entries: Vec<AffectedEntry<&str, &[u8]>> =
            postcard::from_bytes(raw.value()).map_err(|e| AdvisoryError::Corrupt {
                path: path.clone(),
                reason: format!("entries of {key:?}: {e}"),
            })?;
        Ok(f(&entries))
    }

    /// The advisory stored under a record id.
    pub fn advisory(&self, id: &str) -> Result<Option<Advisory>, AdvisoryError> {
        let path = &self.db.path;
        let Some(raw) = self
            .advisories
            .get(id)
            .map_err(|e| AdvisoryError::store(path, e.into()))?
        else {
            return Ok(None);
        };
        postcard::from_bytes(raw.value())
            .map(Some)
            .map_err(|e| AdvisoryError::Corrupt {
                path: path.clone(),
                reason: format!("advisory {id}: {e}"),
            })
    }
}
