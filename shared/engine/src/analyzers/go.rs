//! Go binaries: the modules compiled into them and the standard library
//! of the toolchain that built them, from the build information the Go
//! linker embeds (what `go version -m BINARY` prints).
//!
//! What the matcher reads:
//! - The standard library is a package named `stdlib` whose version is the
//!   toolchain's as SemVer with a `v`, the Go module convention: `go1.19.8`
//!   becomes `v1.19.8`, `go1.20` becomes `v1.20.0`, `go1.22rc1` becomes
//!   `v1.22.0-rc.1` (mapped by [`crate::version::GoVersion`]). OSV's Go
//!   data writes the same versions without the `v`; the Go version scheme
//!   accepts both. A toolchain string that is not a release (`devel …`)
//!   is kept as written and will not parse as a version.
//! - Modules keep their `v`-prefixed versions as written.
//! - An empty version means unknown: the main module of a binary built
//!   from a working tree says `(devel)`. It cannot be placed in a range
//!   and must not be matched as if it were some version.
//! - A dependency replaced in `go.mod` by another module is reported as
//!   the replacement (path and version), since that is the code compiled
//!   in. One replaced by a local directory keeps its own module path with
//!   an unknown (empty) version: a directory is not a module that
//!   advisories name, and its contents are of no known version.
//!
//! Binaries built before Go 1.13 carry no build information and report
//! nothing; only ELF binaries are read.

mod buildinfo;
mod modinfo;

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::{Package, PackageKind};
use crate::version::GoVersion;

use modinfo::Module;

/// The smallest Go binary (a stripped "hello, world") is over a megabyte;
/// smaller executables are not worth reading.
const MIN_SIZE: u64 = 512 * 1024;

/// What Go's build information says for a module built from a working
/// tree rather than a tagged version.
const DEVEL: &str = "(devel)";

/// Reads the build information of Go binaries.
#[derive(Debug, Default, Clone, Copy)]
pub struct GoBinaryAnalyzer;

impl Analyzer for GoBinaryAnalyzer {
    fn name(&self) -> &'static str {
        "go"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.is_executable() && file.size >= MIN_SIZE
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        if !file.contents.starts_with(b"\x7fELF") {
            return Ok(Findings::default());
        }
        let raw = buildinfo::read(file.contents).map_err(|reason| AnalyzeError {
            analyzer: "go",
            path: file.path.to_owned(),
            reason,
        })?;
        let Some(raw) = raw else {
            return Ok(Findings::default());
        };
        let mut packages = vec![go_package(
            "stdlib",
            stdlib_version(&raw.go_version),
            file.path,
        )];
        let modules = modinfo::parse(&raw.modinfo);
        if let Some(main) = modules.main {
            packages.push(module_package(main, file.path));
        }
        for dep in modules.deps {
            packages.push(module_package(dep, file.path));
        }
        Ok(Findings {
            packages,
            ..Findings::default()
        })
    }
}

/// `go1.19.8` → `v1.19.8`; see the module documentation.
fn stdlib_version(toolchain: &str) -> String {
    match toolchain.parse::<GoVersion>() {
        Ok(version) => format!("v{}", version.as_semver()),
        Err(_) => toolchain.to_owned(),
    }
}

fn module_package(module: Module, path: &str) -> Package {
    let reported = match module.replace {
        Some(replacement) if is_directory(&replacement.path) => Module {
            path: module.path,
            version: String::new(),
            replace: None,
        },
        Some(replacement) => *replacement,
        None => module,
    };
    let version = if reported.version == DEVEL {
        String::new()
    } else {
        reported.version
    };
    go_package(&reported.path, version, path)
}

/// Replacements by a directory are written as a file path: `./local`,
/// `../fork`, `/src/fork`.
fn is_directory(replacement: &str) -> bool {
    matches!(replacement, "." | "..")
        || replacement.starts_with("./")
        || replacement.starts_with("../")
        || replacement.starts_with('/')
}

fn go_package(name: &str, version: String, path: &str) -> Package {
    Package {
        kind: PackageKind::Go,
        name: name.to_owned(),
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
