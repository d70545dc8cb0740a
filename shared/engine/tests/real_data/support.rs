//! Shared by the real-data tests: where `../shared/vulndata` is, and one
//! database imported from all of it per test binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tagwarden_engine::advisory::{AdvisoryDb, ImportSummary, import};

/// `../shared/vulndata`, beside the repository.
pub fn vulndata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata")
}

struct Imported {
    _dir: tempfile::TempDir,
    db: AdvisoryDb,
    summary: ImportSummary,
}

fn imported() -> &'static Imported {
    static DB: OnceLock<Imported> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("osv.redb");
        let summary =
            import(&[vulndata().join("osv")], &path).expect("import ../shared/vulndata/osv");
        let db = AdvisoryDb::open(&path).expect("open the imported database");
        Imported {
            _dir: dir,
            db,
            summary,
        }
    })
}

/// The database of all of `../shared/vulndata/osv`, imported once.
pub fn database() -> &'static AdvisoryDb {
    &imported().db
}

/// What that import reported.
pub fn import_summary() -> &'static ImportSummary {
    &imported().summary
}
