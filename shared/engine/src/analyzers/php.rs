//! PHP packages installed by Composer: `composer.lock` (both `packages`
//! and `packages-dev`) and the record Composer keeps of what it actually
//! installed, `vendor/composer/installed.json` (Composer 1 wrote a JSON
//! array, Composer 2 writes `{"packages": [...]}`).
//!
//! What the matcher reads: names as Composer writes them (`vendor/name`,
//! lower case) and versions as written, which may carry a `v`
//! (`v5.4.22`) or name a branch (`dev-main`, which no range can place).
//!
//! A lock file cannot tell whether `composer install --no-dev` was used,
//! so its development packages are reported as well; where the image also
//! has `installed.json`, that file lists what is really there, and both
//! are reported, each at its own path. Lock files inside `vendor/` belong
//! to libraries' own development and are not read.

mod composer;

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::{Package, PackageKind};

/// Reads Composer lock files and installed-package records.
#[derive(Debug, Default, Clone, Copy)]
pub struct PhpAnalyzer;

fn is_lockfile(path: &str) -> bool {
    path.rsplit('/').next() == Some("composer.lock") && !path.contains("/vendor/")
}

fn is_installed_json(path: &str) -> bool {
    path.ends_with("/vendor/composer/installed.json")
}

impl Analyzer for PhpAnalyzer {
    fn name(&self) -> &'static str {
        "php"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        is_lockfile(file.path) || is_installed_json(file.path)
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let parsed = if is_installed_json(file.path) {
            composer::installed_json(file.contents)
        } else {
            composer::lockfile(file.contents)
        };
        let entries = parsed.map_err(|reason| AnalyzeError {
            analyzer: "php",
            path: file.path.to_owned(),
            reason,
        })?;
        let packages = entries
            .into_iter()
            .map(|entry| Package {
                kind: PackageKind::Composer,
                name: entry.name,
                version: entry.version,
                source_name: None,
                source_version: None,
                arch: None,
                path: file.path.to_owned(),
                layer: None,
            })
            .collect();
        Ok(Findings {
            packages,
            ..Findings::default()
        })
    }
}

#[cfg(test)]
mod tests;
