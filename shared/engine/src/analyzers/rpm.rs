//! rpm packages (Red Hat, Fedora, AlmaLinux, Rocky, SUSE, Amazon Linux).
//!
//! Only the SQLite database that rpm 4.16 and later writes
//! (`rpmdb.sqlite`) is read. Berkeley DB databases (`Packages`: RHEL and
//! CentOS 8 and older, Amazon Linux 2) and NDB databases (`Packages.db`:
//! SUSE) are not read: such images report no rpm packages, and a warning
//! that says so, rather than looking empty.
//!
//! Versions are rpm's `[epoch:]version-release`, the epoch written only
//! when it is not zero (as AlmaLinux advisories write fixed versions). The
//! source package is the source rpm's name; its version is the source
//! rpm's `version-release` with the binary package's epoch in front, since
//! every package built from one spec file shares that spec's epoch. It is
//! recorded only when it differs from the package's own version.

mod header;
mod sqlite;

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::{Package, PackageKind};

use header::Header;

/// The directories rpm keeps its database in: the traditional one and
/// the one newer distributions use (`/var/lib/rpm` may link there).
const DB_DIRS: [&str; 2] = ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/"];

/// Imported signing keys appear as packages named `gpg-pubkey`; they are
/// not software and no advisory names them.
const SIGNING_KEY: &str = "gpg-pubkey";

/// Reads the rpm database of an image.
#[derive(Debug, Default, Clone, Copy)]
pub struct RpmAnalyzer;

/// What a file in rpm's database directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DbFile {
    Sqlite,
    SqliteWal,
    BerkeleyDb,
    Ndb,
}

fn classify(path: &str) -> Option<DbFile> {
    let file = DB_DIRS.iter().find_map(|dir| path.strip_prefix(dir))?;
    match file {
        "rpmdb.sqlite" => Some(DbFile::Sqlite),
        "rpmdb.sqlite-wal" => Some(DbFile::SqliteWal),
        "Packages" => Some(DbFile::BerkeleyDb),
        "Packages.db" => Some(DbFile::Ndb),
        _ => None,
    }
}

impl Analyzer for RpmAnalyzer {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        match classify(file.path) {
            // An empty write-ahead log holds nothing worth a warning.
            Some(DbFile::SqliteWal) => file.size > 0,
            Some(_) => true,
            None => false,
        }
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let unread = |format: &str| Findings {
            warnings: vec![format!(
                "rpm database in {format} format is not read; \
                 rpm packages of this image are not reported ({})",
                file.path
            )],
            ..Findings::default()
        };
        match classify(file.path) {
            Some(DbFile::Sqlite) => {}
            Some(DbFile::BerkeleyDb) => return Ok(unread("Berkeley DB")),
            Some(DbFile::Ndb) => return Ok(unread("NDB")),
            Some(DbFile::SqliteWal) if !file.contents.is_empty() => {
                return Ok(Findings {
                    warnings: vec![format!(
                        "{} holds rpm database changes that are not read; \
                         rpm packages installed last may be missing",
                        file.path
                    )],
                    ..Findings::default()
                });
            }
            Some(DbFile::SqliteWal) | None => return Ok(Findings::default()),
        }
        let error = |reason: String| AnalyzeError {
            analyzer: "rpm",
            path: file.path.to_owned(),
            reason,
        };
        let mut findings = Findings::default();
        for (row, blob) in sqlite::header_blobs(file.contents)
            .map_err(error)?
            .iter()
            .enumerate()
        {
            match header::parse(blob) {
                Ok(header) if header.name == SIGNING_KEY => {}
                Ok(header) => findings.packages.push(package(header, file.path)),
                Err(e) => findings.warnings.push(format!(
                    "{}: package header {} skipped: {e}",
                    file.path,
                    row + 1
                )),
            }
        }
        Ok(findings)
    }
}

/// Turns one header into a package.
fn package(header: Header, path: &str) -> Package {
    let evr = |version_release: &str| match header.epoch {
        Some(epoch) if epoch != 0 => format!("{epoch}:{version_release}"),
        _ => version_release.to_owned(),
    };
    let version = evr(&format!("{}-{}", header.version, header.release));
    let source = header
        .source_rpm
        .as_deref()
        .and_then(header::split_source_rpm);
    let source_version = source
        .map(|(_, version_release)| evr(version_release))
        .filter(|source_version| *source_version != version);
    Package {
        kind: PackageKind::Rpm,
        name: header.name.clone(),
        version,
        source_name: source.map(|(name, _)| name.to_owned()),
        source_version,
        arch: header.arch.clone().filter(|arch| arch != "(none)"),
        path: path.to_owned(),
        layer: None,
    }
}

#[cfg(test)]
mod tests;
