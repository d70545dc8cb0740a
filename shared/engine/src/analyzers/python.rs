//! Python distributions: the metadata that pip, setuptools and Debian's
//! packaging leave beside installed code.
//!
//! Read: `*.dist-info/METADATA` (wheels, pip), `*.egg-info/PKG-INFO`
//! (setuptools develop and legacy installs), `*.egg-info` files (a single
//! PKG-INFO file written by distutils) and `*.egg/EGG-INFO/PKG-INFO` (eggs).
//! Only the headers' `Name` and `Version` matter. The name is kept as the
//! metadata spells it (`Jinja2`), which is what `pip list` prints;
//! advisories use the PEP 503 normalised form ([`normalized_name`]).

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::analyzers::control;
use crate::inventory::{Package, PackageKind};

/// Reads Python distribution metadata.
#[derive(Debug, Default, Clone, Copy)]
pub struct PythonAnalyzer;

impl Analyzer for PythonAnalyzer {
    fn name(&self) -> &'static str {
        "python"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        is_metadata_file(file.path)
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let text = String::from_utf8_lossy(file.contents);
        let package = parse_metadata(&text).map_err(|reason| AnalyzeError {
            analyzer: "python",
            path: file.path.to_owned(),
            reason,
        })?;
        Ok(Findings {
            packages: vec![package],
            ..Findings::default()
        })
    }
}

/// Whether `path` is one of the metadata files above.
fn is_metadata_file(path: &str) -> bool {
    let Some((dir, file)) = path.rsplit_once('/') else {
        return false;
    };
    match file {
        "METADATA" => dir.ends_with(".dist-info"),
        "PKG-INFO" => dir.ends_with(".egg-info") || dir.ends_with(".egg/EGG-INFO"),
        _ => file.ends_with(".egg-info"),
    }
}

/// Reads `Name` and `Version` from a metadata file's headers.
pub fn parse_metadata(text: &str) -> Result<Package, String> {
    let headers = control::headers(text);
    let name = headers
        .get("Name")
        .filter(|n| !n.is_empty())
        .ok_or("no Name header")?;
    let version = headers
        .get("Version")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("distribution {name} has no Version header"))?;
    Ok(Package {
        kind: PackageKind::Python,
        name: name.to_owned(),
        version: version.to_owned(),
        source_name: None,
        source_version: None,
        arch: None,
        path: String::new(),
        layer: None,
    })
}

/// The PEP 503 normalised form of a distribution name: lower case, with
/// every run of `-`, `_` and `.` replaced by a single `-` (`Jinja2` →
/// `jinja2`, `zope.interface` → `zope-interface`). PyPI and OSV key
/// advisories by this form.
pub fn normalized_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_and_version_from_headers_only() {
        let text = "Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.11.2\nSummary: x\n\n\
                    Name: from-the-description\n";
        let pkg = parse_metadata(text).unwrap();
        assert_eq!(
            (pkg.name.as_str(), pkg.version.as_str()),
            ("Jinja2", "2.11.2")
        );
        assert_eq!(pkg.kind, PackageKind::Python);
    }

    #[test]
    fn missing_fields_are_errors() {
        assert_eq!(
            parse_metadata("Version: 1\n").unwrap_err(),
            "no Name header"
        );
        assert_eq!(
            parse_metadata("Name: x\n").unwrap_err(),
            "distribution x has no Version header"
        );
    }

    #[test]
    fn normalizes_like_pep_503() {
        assert_eq!(normalized_name("Jinja2"), "jinja2");
        assert_eq!(normalized_name("zope.interface"), "zope-interface");
        assert_eq!(normalized_name("Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(normalized_name("MarkupSafe"), "markupsafe");
    }

    #[test]
    fn wants_metadata_files() {
        for (path, want) in [
            (
                "/usr/lib/python3/dist-packages/requests-2.25.1.dist-info/METADATA",
                true,
            ),
            ("/usr/lib/python3/dist-packages/foo.egg-info/PKG-INFO", true),
            ("/usr/lib/python3/dist-packages/foo-1.0.egg-info", true),
            (
                "/usr/lib/python3/site-packages/x-1.egg/EGG-INFO/PKG-INFO",
                true,
            ),
            (
                "/usr/lib/python3/dist-packages/requests-2.25.1.dist-info/RECORD",
                false,
            ),
            ("/srv/METADATA", false),
        ] {
            let meta = FileMeta {
                path,
                size: 1,
                mode: 0o644,
            };
            assert_eq!(PythonAnalyzer.wants(&meta), want, "{path}");
        }
    }

    #[test]
    fn analyze_turns_bad_metadata_into_an_error_naming_the_file() {
        let err = PythonAnalyzer
            .analyze(&FileInput {
                path: "/a.dist-info/METADATA",
                contents: b"",
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "python could not read /a.dist-info/METADATA: no Name header"
        );
    }
}
