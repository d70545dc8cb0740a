//! Java archives (jar, war, ear, par) and the archives nested in them.
//!
//! What the matcher reads: package names are Maven coordinates
//! `groupId:artifactId` (`org.apache.commons:commons-compress`), as OSV's
//! Maven ecosystem names packages, with the version as the archive's
//! `pom.properties` writes it. Archives without a `pom.properties` are
//! named from their manifest, which is a guess (see
//! [`metadata::manifest`]); such names may lack a group and then match no
//! advisory. Archives without either report nothing: Trivy and others look
//! such jars up by checksum in a Maven index, which this engine does not
//! have.

mod archive;
mod metadata;

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::{Package, PackageKind};

/// Reads Java archives.
#[derive(Debug, Default, Clone, Copy)]
pub struct JavaAnalyzer;

impl Analyzer for JavaAnalyzer {
    fn name(&self) -> &'static str {
        "java"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.size > 0 && archive::is_archive_name(file.path)
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let walk = archive::walk(file.path, file.contents).map_err(|reason| AnalyzeError {
            analyzer: "java",
            path: file.path.to_owned(),
            reason,
        })?;
        let packages = walk
            .found
            .into_iter()
            .map(|(path, coordinates)| Package {
                kind: PackageKind::Maven,
                name: coordinates.name,
                version: coordinates.version,
                source_name: None,
                source_version: None,
                arch: None,
                path,
                layer: None,
            })
            .collect();
        Ok(Findings {
            packages,
            warnings: walk.warnings,
            ..Findings::default()
        })
    }
}

#[cfg(test)]
mod tests;
