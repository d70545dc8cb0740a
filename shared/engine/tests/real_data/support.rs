//! Shared by the real-data tests: where `../shared/vulndata` is, and one
//! database imported from all of it per test binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tagwarden_engine::advisory::{AdvisoryDb, import};

/// `../shared/vulndata`, beside the repository.
pub(crate) fn vulndata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata")
}

struct Imported {
    _dir: tempfile::TempDir,
    db: AdvisoryDb,
}

fn imported() -> &'static Imported {
    static DB: OnceLock<Imported> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("osv.redb");
        import(&[vulndata().join("osv")], &path).expect("import ../shared/vulndata/osv");
        let db = AdvisoryDb::open(&path).expect("open the imported database");
        Imported { _dir: dir, db }
    })
}

/// The database of all of `../shared/vulndata/osv`, imported once.
pub(crate) fn database() -> &'static AdvisoryDb {
    &imported().db
}

/// Runs every engine analyzer over the files under `root`, as if they sat
/// at `prefix` inside an image, and returns the inventory.
pub(crate) fn analyze_tree(root: &Path, prefix: &str) -> tagwarden_engine::inventory::Inventory {
    use std::os::unix::fs::PermissionsExt;
    use tagwarden_engine::analyzer::{FileInput, FileMeta};

    let analyzers = tagwarden_engine::analyzers::all();
    let mut inventory = tagwarden_engine::inventory::Inventory::default();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let path = format!("{}/{relative}", prefix.trim_end_matches('/'));
        let metadata = entry.metadata().unwrap();
        let meta = FileMeta {
            path: &path,
            size: metadata.len(),
            mode: metadata.permissions().mode(),
        };
        let wanting: Vec<_> = analyzers.iter().filter(|a| a.wants(&meta)).collect();
        if wanting.is_empty() {
            continue;
        }
        let contents = std::fs::read(entry.path()).unwrap();
        for analyzer in wanting {
            let found = analyzer
                .analyze(&FileInput {
                    path: &path,
                    contents: &contents,
                })
                .unwrap();
            for mut package in found.packages {
                if package.path.is_empty() {
                    package.path = path.clone();
                }
                inventory.packages.push(package);
            }
            inventory.os = inventory.os.take().or(found.os);
        }
    }
    inventory.normalize();
    inventory
}

/// Runs a command, failing the test with its output when it fails.
pub(crate) fn run(command: &mut std::process::Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
