//! `Cargo.lock`, every format Cargo has written (v1 to v4).
//!
//! All formats list each resolved crate as a `[[package]]` table with
//! `name`, `version` and, for crates that came from a registry or a git
//! repository, `source`. They differ in how checksums and dependency
//! references are written, which the inventory does not need.

use serde::Deserialize;

/// One `[[package]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct LockedCrate {
    pub(crate) name: String,
    pub(crate) version: String,
    /// `registry+https://github.com/rust-lang/crates.io-index`,
    /// `sparse+https://index.crates.io/`, `git+https://…#commit`; absent
    /// for workspace members and path dependencies.
    #[serde(default)]
    pub(crate) source: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedCrate>,
}

/// Every crate of a lock file, in file order.
pub(crate) fn parse(text: &str) -> Result<Vec<LockedCrate>, String> {
    let lockfile: Lockfile = toml::from_str(text).map_err(|e| e.to_string())?;
    Ok(lockfile.package)
}
