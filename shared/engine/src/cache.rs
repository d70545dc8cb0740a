//! Per-layer analysis results on disk, so a layer is analyzed once no
//! matter how many images share it.
//!
//! Layout under the cache directory, one JSON file per entry:
//!
//! ```text
//! layers/sha256/<diff id hex>/shape-v1.json        what the layer deletes, links, writes
//! layers/sha256/<diff id hex>/<analyzer>-v<N>.json what one analyzer found in it
//! ```
//!
//! Keys are the layer's diff id (the hash of its uncompressed tar, checked
//! when the entry was written) and the analyzer's name and version, so
//! bumping one analyzer's version misses only that analyzer's entries and
//! the others are reused. Entries are written to a temporary name and
//! renamed, so a reader never sees half a file; concurrent scans may both
//! write an entry, with identical content.
//!
//! Known shortcomings: nothing is ever evicted (delete the directory to
//! reclaim space), and the per-file size limit is not part of the key, so
//! changing it does not re-read files a cached result skipped. A cache
//! that cannot be read or written is logged and bypassed, never fatal.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tagwarden_registry::Digest;

use crate::layer::{AnalyzerResult, LayerShape};

/// Bump when the layer walk records shapes differently.
const SHAPE_VERSION: u32 = 1;

/// The on-disk layer cache; a cache without a directory stores nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct LayerCache {
    dir: Option<PathBuf>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl LayerCache {
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    /// The directory holding one layer's entries; `None` without a cache
    /// or for a diff id that is not a well-formed digest.
    fn layer_dir(&self, diff_id: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let digest: Digest = diff_id.parse().ok()?;
        Some(
            dir.join("layers")
                .join(digest.algorithm().name())
                .join(digest.hex()),
        )
    }

    fn analyzer_file(&self, diff_id: &str, analyzer: &str, version: u32) -> Option<PathBuf> {
        let safe = !analyzer.is_empty()
            && analyzer
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        safe.then(|| self.layer_dir(diff_id))
            .flatten()
            .map(|d| d.join(format!("{analyzer}-v{version}.json")))
    }

    pub(crate) fn shape(&self, diff_id: &str) -> Option<LayerShape> {
        load(&self.layer_dir(diff_id)?.join(shape_file()))
    }

    pub(crate) fn put_shape(&self, diff_id: &str, shape: &LayerShape) {
        if let Some(dir) = self.layer_dir(diff_id) {
            store(&dir.join(shape_file()), shape);
        }
    }

    pub(crate) fn result(
        &self,
        diff_id: &str,
        analyzer: &str,
        version: u32,
    ) -> Option<AnalyzerResult> {
        load(&self.analyzer_file(diff_id, analyzer, version)?)
    }

    pub(crate) fn put_result(
        &self,
        diff_id: &str,
        analyzer: &str,
        version: u32,
        result: &AnalyzerResult,
    ) {
        if let Some(file) = self.analyzer_file(diff_id, analyzer, version) {
            store(&file, result);
        }
    }
}

fn shape_file() -> String {
    format!("shape-v{SHAPE_VERSION}.json")
}

fn load<T: DeserializeOwned>(file: &Path) -> Option<T> {
    let bytes = match fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "layer cache entry unreadable; ignoring it");
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "layer cache entry corrupt; ignoring it");
            None
        }
    }
}

fn store<T: Serialize>(file: &Path, value: &T) {
    if let Err(e) = try_store(file, value) {
        tracing::warn!(file = %file.display(), error = %e, "could not write layer cache entry");
    }
}

fn try_store<T: Serialize>(file: &Path, value: &T) -> io::Result<()> {
    let dir = file
        .parent()
        .ok_or_else(|| io::Error::other("cache file without a directory"))?;
    fs::create_dir_all(dir)?;
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
    fs::write(&temp, serde_json::to_vec(value).map_err(io::Error::other)?)?;
    fs::rename(&temp, file).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF_ID: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn stores_and_loads_per_layer_and_analyzer_version() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(Some(dir.path().to_owned()));
        let result = AnalyzerResult::default();
        assert_eq!(cache.result(DIFF_ID, "dpkg", 1), None);
        cache.put_result(DIFF_ID, "dpkg", 1, &result);
        assert_eq!(cache.result(DIFF_ID, "dpkg", 1), Some(result));
        assert_eq!(cache.result(DIFF_ID, "dpkg", 2), None);
        assert_eq!(cache.result(DIFF_ID, "apk", 1), None);
        let shape = LayerShape::default();
        cache.put_shape(DIFF_ID, &shape);
        assert_eq!(cache.shape(DIFF_ID), Some(shape));
        assert!(
            dir.path()
                .join("layers/sha256")
                .join(&DIFF_ID[7..])
                .join("dpkg-v1.json")
                .is_file()
        );
    }

    #[test]
    fn bad_keys_and_no_directory_store_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(Some(dir.path().to_owned()));
        cache.put_result("../../etc", "dpkg", 1, &AnalyzerResult::default());
        cache.put_result(DIFF_ID, "../x", 1, &AnalyzerResult::default());
        assert!(!dir.path().join("layers").exists());
        let none = LayerCache::new(None);
        none.put_shape(DIFF_ID, &LayerShape::default());
        assert_eq!(none.shape(DIFF_ID), None);
    }

    #[test]
    fn a_corrupt_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(Some(dir.path().to_owned()));
        let file = cache.analyzer_file(DIFF_ID, "dpkg", 1).unwrap();
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, b"{not json").unwrap();
        assert_eq!(cache.result(DIFF_ID, "dpkg", 1), None);
    }
}
