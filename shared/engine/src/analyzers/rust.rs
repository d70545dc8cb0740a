//! Rust crates, from `Cargo.lock` files and from the dependency list that
//! `cargo auditable` embeds in binaries.
//!
//! What the matcher reads: crate names and versions as Cargo writes them.
//! Every `[[package]]` of a lock file is reported, including workspace
//! members and path dependencies (no `source`) and git dependencies: they
//! are code in the image, and an SBOM should list them. RustSec advisories
//! name crates.io crates, so a local crate that happens to share a name and
//! version range with a crates.io crate would match wrongly; the inventory
//! has no field to say where a crate came from. From binaries, crates of
//! `kind: build` (used only by build scripts and proc macros, not compiled
//! into the binary) are left out; everything else, including the binary's
//! own root crate, is reported.
//!
//! Lock files inside Cargo's download caches (`.cargo/registry/`,
//! `.cargo/git/`) belong to the sources of dependencies, not to anything
//! built, and are not read. Rust binaries built without cargo auditable
//! carry no dependency list and report nothing.

mod auditable;
mod lockfile;

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::{Package, PackageKind};

/// Rust binaries, even small stripped ones, are larger than this.
const MIN_BINARY_SIZE: u64 = 64 * 1024;

/// Reads Cargo lock files and cargo-auditable binaries.
#[derive(Debug, Default, Clone, Copy)]
pub struct RustAnalyzer;

fn is_lockfile(path: &str) -> bool {
    path.rsplit('/').next() == Some("Cargo.lock")
        && !path.contains("/.cargo/registry/")
        && !path.contains("/.cargo/git/")
}

impl Analyzer for RustAnalyzer {
    fn name(&self) -> &'static str {
        "rust"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        is_lockfile(file.path) || (file.is_executable() && file.size >= MIN_BINARY_SIZE)
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let error = |reason: String| AnalyzeError {
            analyzer: "rust",
            path: file.path.to_owned(),
            reason,
        };
        let crates: Vec<(String, String)> = if is_lockfile(file.path) {
            let text =
                std::str::from_utf8(file.contents).map_err(|e| error(format!("not UTF-8: {e}")))?;
            lockfile::parse(text)
                .map_err(error)?
                .into_iter()
                .map(|c| (c.name, c.version))
                .collect()
        } else if file.contents.starts_with(b"\x7fELF") {
            match auditable::read(file.contents).map_err(error)? {
                Some(crates) => crates
                    .into_iter()
                    .filter(|c| !c.is_build_only())
                    .map(|c| (c.name, c.version))
                    .collect(),
                None => Vec::new(),
            }
        } else {
            Vec::new()
        };
        let packages = crates
            .into_iter()
            .map(|(name, version)| crate_package(name, version, file.path))
            .collect();
        Ok(Findings {
            packages,
            ..Findings::default()
        })
    }
}

fn crate_package(name: String, version: String, path: &str) -> Package {
    Package {
        kind: PackageKind::Cargo,
        name,
        version,
        source_name: None,
        source_version: None,
        arch: None,
        path: path.to_owned(),
        layer: None,
    }
}

#[cfg(test)]
mod tests;
