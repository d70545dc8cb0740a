//! Reading OSV records from a directory tree or a zip of JSON files.
//!
//! One bad record must not cost the other 26,000: a file that is not valid
//! JSON, has a field of the wrong type, lacks a required field or has an
//! event that sets no boundary is skipped with a warning that names the file
//! and the field, and the rest loads.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use super::AdvisoryError;
use super::osv::OsvRecord;

/// A record that was read and passed validation.
#[derive(Debug, Clone)]
pub struct LoadedRecord {
    /// The record.
    pub record: OsvRecord,
    /// Where it came from (`osv/PyPI/PYSEC-2019-1.json`, `PyPI.zip:X.json`).
    pub source: String,
    /// SHA-256 of the file's bytes, for the database's content hash.
    pub digest: [u8; 32],
}

/// A record that was skipped, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRecord {
    /// The file (inside a zip: `archive.zip:entry.json`).
    pub file: String,
    /// The field at fault, as a path (`affected[0].ranges[1].events[2]`),
    /// or `.` for the whole document.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for SkippedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: field {}: {}", self.file, self.field, self.reason)
    }
}

/// Everything read from one or more sources.
#[derive(Debug, Default)]
pub struct LoadedSet {
    /// Valid records, one per id (the newest `modified` wins a duplicate).
    pub records: Vec<LoadedRecord>,
    /// Malformed records that were skipped.
    pub skipped: Vec<SkippedRecord>,
}

impl LoadedSet {
    /// Reads a directory tree (every `*.json` below it) or a zip file.
    pub fn read_path(&mut self, path: &Path) -> Result<(), AdvisoryError> {
        let meta = std::fs::metadata(path).map_err(|e| AdvisoryError::io(path, e))?;
        if meta.is_dir() {
            self.read_dir(path)
        } else {
            self.read_zip(path)
        }
    }

    fn read_dir(&mut self, root: &Path) -> Result<(), AdvisoryError> {
        let mut files: Vec<_> = WalkDir::new(root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for path in files {
            let bytes = std::fs::read(&path).map_err(|e| AdvisoryError::io(&path, e))?;
            self.add(path.display().to_string(), &bytes);
        }
        Ok(())
    }

    fn read_zip(&mut self, path: &Path) -> Result<(), AdvisoryError> {
        let file = File::open(path).map_err(|e| AdvisoryError::io(path, e))?;
        let zip_error = |e: zip::result::ZipError| AdvisoryError::Zip {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let mut archive = zip::ZipArchive::new(file).map_err(zip_error)?;
        let mut bytes = Vec::new();
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(zip_error)?;
            let name = entry.name().map_err(zip_error)?.into_owned();
            if entry.is_dir() || !name.ends_with(".json") {
                continue;
            }
            bytes.clear();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| AdvisoryError::io(path, e))?;
            self.add(format!("{}:{name}", path.display()), &bytes);
        }
        Ok(())
    }

    /// Parses and validates one file's bytes.
    pub fn add(&mut self, source: String, bytes: &[u8]) {
        match parse_record(bytes) {
            Ok(record) => {
                let digest = Sha256::digest(bytes).into();
                self.records.push(LoadedRecord {
                    record,
                    source,
                    digest,
                });
            }
            Err((field, reason)) => {
                tracing::warn!(file = %source, %field, %reason, "skipped malformed osv record");
                self.skipped.push(SkippedRecord {
                    file: source,
                    field,
                    reason,
                });
            }
        }
    }

    /// Keeps one record per id: the newest `modified`, then the first read.
    /// The same advisory can arrive twice, e.g. AlmaLinux files one id under
    /// two releases, or two exports overlap.
    pub fn dedup(&mut self) {
        let mut best: HashMap<String, usize> = HashMap::new();
        for (i, loaded) in self.records.iter().enumerate() {
            let slot = best.entry(loaded.record.id.clone()).or_insert(i);
            if self.records[*slot].record.modified < loaded.record.modified {
                *slot = i;
            }
        }
        let mut keep: Vec<usize> = best.into_values().collect();
        keep.sort_unstable();
        let mut records = std::mem::take(&mut self.records);
        let mut index = 0;
        records.retain(|_| {
            let kept = keep.binary_search(&index).is_ok();
            index += 1;
            kept
        });
        records.sort_by(|a, b| a.record.id.cmp(&b.record.id));
        self.records = records;
    }
}

/// Parses one record, naming the field at fault on failure.
fn parse_record(bytes: &[u8]) -> Result<OsvRecord, (String, String)> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let record: OsvRecord = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        (path, e.into_inner().to_string())
    })?;
    validate(&record)?;
    Ok(record)
}

/// Checks what serde cannot: non-empty names, one boundary per event.
fn validate(record: &OsvRecord) -> Result<(), (String, String)> {
    let fail = |field: String, reason: &str| Err((field, reason.to_owned()));
    if record.id.trim().is_empty() {
        return fail("id".into(), "empty id");
    }
    for (a, affected) in record.affected.iter().enumerate() {
        if let Some(package) = &affected.package {
            if package.ecosystem.trim().is_empty() {
                return fail(format!("affected[{a}].package.ecosystem"), "empty");
            }
            if package.name.trim().is_empty() {
                return fail(format!("affected[{a}].package.name"), "empty");
            }
        }
        for (r, range) in affected.ranges.iter().enumerate() {
            if range.events.is_empty() {
                return fail(format!("affected[{a}].ranges[{r}].events"), "no events");
            }
            for (e, event) in range.events.iter().enumerate() {
                if event.boundary().is_none() {
                    return fail(
                        format!("affected[{a}].ranges[{r}].events[{e}]"),
                        "an event must set exactly one of introduced, fixed, \
                         last_affected, limit",
                    );
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(json: &str) -> SkippedRecord {
        let mut set = LoadedSet::default();
        set.add("bad.json".into(), json.as_bytes());
        assert!(set.records.is_empty());
        set.skipped.remove(0)
    }

    #[test]
    fn a_wrong_type_names_the_field_path() {
        let s = skipped(
            r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z",
                "affected":[{"package":{"ecosystem":"PyPI","name":"a"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":7}]}]}]}"#,
        );
        assert_eq!(s.file, "bad.json");
        assert_eq!(s.field, "affected[0].ranges[0].events[0].introduced");
    }

    #[test]
    fn a_missing_field_and_an_empty_event_are_named() {
        let s = skipped(r#"{"id":"X-1"}"#);
        assert_eq!(s.field, ".");
        assert!(
            s.reason.contains("missing field `modified`"),
            "{}",
            s.reason
        );
        let s = skipped(
            r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z",
                "affected":[{"package":{"ecosystem":"PyPI","name":"a"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{}]}]}]}"#,
        );
        assert_eq!(s.field, "affected[0].ranges[0].events[1]");
    }

    #[test]
    fn unknown_fields_and_nulls_are_accepted() {
        let mut set = LoadedSet::default();
        set.add(
            "ok.json".into(),
            br#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","aliases":null,
                 "future_field":{"a":1},"affected":[{"package":{"ecosystem":"Foo:1",
                 "name":"a","extra":true},"versions":["1.0"]}]}"#,
        );
        assert!(set.skipped.is_empty(), "{:?}", set.skipped);
        assert_eq!(set.records[0].record.affected[0].versions, ["1.0"]);
    }
}
