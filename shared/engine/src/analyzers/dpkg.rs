//! Debian and Ubuntu packages from dpkg's database.
//!
//! Two layouts: the usual `/var/lib/dpkg/status`, one paragraph per
//! package, and the one distroless images use, `/var/lib/dpkg/status.d/`
//! with one file per package (often without a `Status:` field, since only
//! installed packages are written there; their `*.md5sums` siblings are
//! not read).
//!
//! A package counts only when its status says it is installed (the third
//! word of `Status:`): removed packages whose configuration files remain
//! (`deinstall ok config-files`) stay in the database but are not on disk.
//! The source package comes from `Source:`, which may carry its own version
//! in parentheses when a binary package was rebuilt apart from its source
//! (`Source: glibc (2.36-9)` on a binNMU `2.36-9+b1`); Debian advisories
//! name source packages, so both are kept.

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::analyzers::control::{self, Paragraph};
use crate::inventory::{Package, PackageKind};

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_DIR: &str = "/var/lib/dpkg/status.d/";

/// Reads dpkg's `status` file and distroless `status.d/` entries.
#[derive(Debug, Default, Clone, Copy)]
pub struct DpkgAnalyzer;

impl Analyzer for DpkgAnalyzer {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.path == STATUS || is_status_d_entry(file.path)
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let text = String::from_utf8_lossy(file.contents);
        let parsed = parse_status(&text, is_status_d_entry(file.path));
        let warnings = parsed
            .skipped
            .into_iter()
            .map(|reason| format!("dpkg: {}: {reason}", file.path))
            .collect();
        Ok(Findings {
            packages: parsed.packages,
            os: None,
            warnings,
        })
    }
}

/// A file in `status.d/` that describes a package (not its checksums).
fn is_status_d_entry(path: &str) -> bool {
    path.strip_prefix(STATUS_DIR)
        .is_some_and(|name| !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums"))
}

/// What a status file held: installed packages, and paragraphs that could
/// not be read (with the reason and line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedStatus {
    /// Installed packages, in file order; `path` and `layer` left empty.
    pub packages: Vec<Package>,
    /// One message per paragraph that looked like a package but lacked a
    /// name or version.
    pub skipped: Vec<String>,
}

/// Parses a dpkg status file. With `assume_installed` (distroless
/// `status.d/` entries) a paragraph without `Status:` counts as installed.
pub fn parse_status(text: &str, assume_installed: bool) -> ParsedStatus {
    let mut parsed = ParsedStatus::default();
    for para in control::paragraphs(text) {
        if !is_installed(&para, assume_installed) {
            continue;
        }
        match package(&para) {
            Ok(pkg) => parsed.packages.push(pkg),
            Err(reason) => parsed.skipped.push(format!("line {}: {reason}", para.line)),
        }
    }
    parsed
}

/// `Status: want flag state`: installed when the state is `installed`
/// (the want may be `install` or `hold`).
fn is_installed(para: &Paragraph, assume_installed: bool) -> bool {
    match para.get("Status") {
        Some(status) => status.split_whitespace().nth(2) == Some("installed"),
        None => assume_installed,
    }
}

fn package(para: &Paragraph) -> Result<Package, String> {
    let name = para
        .get("Package")
        .filter(|n| !n.is_empty())
        .ok_or("installed package without a Package field")?;
    let version = para
        .get("Version")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("package {name} has no Version field"))?;
    let (source_name, source_version) = match para.get("Source") {
        Some(source) if !source.is_empty() => parse_source(source),
        _ => (None, None),
    };
    Ok(Package {
        kind: PackageKind::Deb,
        name: name.to_owned(),
        version: version.to_owned(),
        source_name,
        // Recorded only when it differs, as `Package` documents.
        source_version: source_version.filter(|v| v != version),
        arch: para.get("Architecture").map(str::to_owned),
        path: String::new(),
        layer: None,
    })
}

/// `name` or `name (version)`.
fn parse_source(field: &str) -> (Option<String>, Option<String>) {
    match field.split_once('(') {
        Some((name, rest)) => {
            let version = rest.trim_end().trim_end_matches(')').trim();
            (
                Some(name.trim().to_owned()),
                (!version.is_empty()).then(|| version.to_owned()),
            )
        }
        None => (Some(field.trim().to_owned()), None),
    }
}

#[cfg(test)]
mod tests;
