//! Building a database file from OSV records.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use redb::Database;
use sha2::{Digest, Sha256};

use super::AdvisoryError;
use super::ecosystem::{index_key, normalize_ecosystem};
use super::entry::{Advisory, AffectedEntry, entries_of};
use super::load::{LoadedSet, SkippedRecord};
use super::status::{DatabaseStatus, DatabaseVersion, EcosystemCounts};
use super::store::{ADVISORIES, AFFECTED, FORMAT, META, STATUS_KEY};

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// The new database's status (as `vulndb status` shows it).
    pub status: DatabaseStatus,
    /// Every malformed record that was skipped, with file and field.
    pub skipped: Vec<SkippedRecord>,
}

/// Reads every source (directories and zips of OSV JSON) and writes a new
/// database to `db_path`, replacing any database there only once the new
/// one is complete.
pub fn import(sources: &[PathBuf], db_path: &Path) -> Result<ImportSummary, AdvisoryError> {
    let mut set = LoadedSet::default();
    for source in sources {
        set.read_path(source)?;
    }
    set.dedup();
    build(set, db_path)
}

/// Writes the database from records already read.
pub fn build(set: LoadedSet, db_path: &Path) -> Result<ImportSummary, AdvisoryError> {
    let LoadedSet { records, skipped } = set;
    let mut hasher = Sha256::new();
    let mut newest: Option<DateTime<Utc>> = None;
    let mut withdrawn = 0;
    let mut by_key: HashMap<String, Vec<AffectedEntry>> = HashMap::new();
    let mut advisories: Vec<(String, Vec<u8>)> = Vec::with_capacity(records.len());
    let mut per_ecosystem: BTreeMap<String, (BTreeSet<&str>, usize)> = BTreeMap::new();
    let mut keys_per_ecosystem: BTreeMap<String, usize> = BTreeMap::new();

    for loaded in &records {
        let record = &loaded.record;
        if record.withdrawn.is_some() {
            withdrawn += 1;
            continue;
        }
        hasher.update(record.id.as_bytes());
        hasher.update([0]);
        hasher.update(loaded.digest);
        newest = newest.max(Some(record.modified));
        for entry in entries_of(record) {
            let ecosystem = normalize_ecosystem(&entry.ecosystem);
            let counts = per_ecosystem.entry(ecosystem).or_default();
            counts.0.insert(record.id.as_str());
            let key = index_key(&entry.ecosystem, &entry.name);
            let list = by_key.entry(key).or_default();
            if list.is_empty() {
                let ecosystem = normalize_ecosystem(&entry.ecosystem);
                *keys_per_ecosystem.entry(ecosystem).or_default() += 1;
            }
            list.push(entry);
        }
        advisories.push((record.id.clone(), encode(&Advisory::from_record(record))?));
    }

    let ecosystems = per_ecosystem
        .into_iter()
        .map(|(ecosystem, (ids, _))| {
            let packages = keys_per_ecosystem.get(&ecosystem).copied().unwrap_or(0);
            let counts = EcosystemCounts {
                advisories: ids.len(),
                packages,
            };
            (ecosystem, counts)
        })
        .collect();
    let status = DatabaseStatus {
        format: FORMAT,
        version: DatabaseVersion {
            newest_modified: newest,
            content_hash: hex::encode(hasher.finalize()),
        },
        imported_at: Utc::now(),
        advisories: advisories.len(),
        ecosystems,
        skipped_withdrawn: withdrawn,
        skipped_malformed: skipped.len(),
    };
    write(db_path, &status, &by_key, &advisories)?;
    tracing::info!(
        advisories = status.advisories,
        skipped_malformed = status.skipped_malformed,
        skipped_withdrawn = withdrawn,
        version = %status.version,
        "advisory database imported"
    );
    Ok(ImportSummary { status, skipped })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, AdvisoryError> {
    postcard::to_allocvec(value).map_err(|e| AdvisoryError::Encode(e.to_string()))
}

/// Writes everything in one transaction to a temporary file beside the
/// target, then renames it into place.
fn write(
    db_path: &Path,
    status: &DatabaseStatus,
    by_key: &HashMap<String, Vec<AffectedEntry>>,
    advisories: &[(String, Vec<u8>)],
) -> Result<(), AdvisoryError> {
    let tmp = db_path.with_extension("importing");
    let store = |e: redb::Error| AdvisoryError::store(&tmp, e);
    if let Some(dir) = db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| AdvisoryError::io(dir, e))?;
    }
    let _ = std::fs::remove_file(&tmp);
    let db = Database::create(&tmp).map_err(|e| store(e.into()))?;
    let txn = db.begin_write().map_err(|e| store(e.into()))?;
    {
        let mut affected = txn.open_table(AFFECTED).map_err(|e| store(e.into()))?;
        let mut keys: Vec<&String> = by_key.keys().collect();
        keys.sort();
        for key in keys {
            let value = encode(&by_key[key])?;
            affected
                .insert(key.as_str(), value.as_slice())
                .map_err(|e| store(e.into()))?;
        }
        let mut table = txn.open_table(ADVISORIES).map_err(|e| store(e.into()))?;
        for (id, value) in advisories {
            table
                .insert(id.as_str(), value.as_slice())
                .map_err(|e| store(e.into()))?;
        }
        let mut meta = txn.open_table(META).map_err(|e| store(e.into()))?;
        let status_json =
            serde_json::to_vec(status).map_err(|e| AdvisoryError::Encode(e.to_string()))?;
        meta.insert(STATUS_KEY, status_json.as_slice())
            .map_err(|e| store(e.into()))?;
    }
    txn.commit().map_err(|e| store(e.into()))?;
    drop(db);
    std::fs::rename(&tmp, db_path).map_err(|e| AdvisoryError::io(db_path, e))
}
