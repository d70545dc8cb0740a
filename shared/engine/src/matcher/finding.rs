//! A finding: one vulnerability in one installed package, with what to do
//! about it.

use serde::{Deserialize, Serialize};

use crate::advisory::{Rating, Severity};
use crate::inventory::Package;

/// One vulnerability affecting one package (one issue, in the scanner's
/// words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The primary id: the CVE when the records name one, else the first
    /// record id.
    pub id: String,
    /// Every other id of the same vulnerability (record ids and their
    /// aliases), sorted.
    pub aliases: Vec<String>,
    /// Related but distinct ids (e.g. the CVEs a DSA fixes), sorted.
    pub related: Vec<String>,
    /// The database records that matched, sorted.
    pub records: Vec<String>,
    /// One-line summary, from the first record that has one.
    pub summary: Option<String>,
    /// The level.
    pub severity: Severity,
    /// The evidence for the level, when there is any.
    pub rating: Option<Rating>,
    /// The installed package as the inventory lists it (name, source,
    /// version, kind, path, layer).
    pub package: Package,
    /// The advisory ecosystem it was matched in (`Debian:10`).
    pub ecosystem: String,
    /// The name advisories use for it (the source package for Debian).
    pub advisory_package: String,
    /// The version that was compared (the source version for Debian).
    pub installed_version: String,
    /// The lowest fixed version above the installed one, if released.
    pub fixed_version: Option<String>,
    /// What to do, in words: "upgrade openssl to 1.1.1d-0+deb10u2".
    pub remediation: String,
    /// Reference URLs of the matched records.
    pub references: Vec<String>,
}

/// The remediation sentence for a package and its fix.
///
/// OS advisories give the source package's version. When the binary
/// package is named like its source, or shares its version, "upgrade
/// <binary> to <fix>" is exact. A binary whose version differs from its
/// source's (binNMUs, packages with their own versioning) cannot be told a
/// binary version, so the sentence names the source build instead.
pub fn remediation(package: &Package, advisory_package: &str, fixed: Option<&str>) -> String {
    let Some(fixed) = fixed else {
        return "no fix released".to_owned();
    };
    let same_name = package.name == advisory_package;
    let same_version = package
        .source_version
        .as_deref()
        .is_none_or(|v| v == package.version);
    match (same_name, same_version) {
        (true, _) => format!("upgrade {} to {fixed}", package.name),
        (false, true) => format!(
            "upgrade {} (source package {advisory_package}) to {fixed}",
            package.name
        ),
        (false, false) => format!(
            "upgrade {} to the build from source package {advisory_package} {fixed} or later",
            package.name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::PackageKind;

    fn deb(name: &str, version: &str, source: Option<(&str, &str)>) -> Package {
        Package {
            kind: PackageKind::Deb,
            name: name.into(),
            version: version.into(),
            source_name: source.map(|s| s.0.into()),
            source_version: source.map(|s| s.1.into()),
            arch: None,
            path: "/var/lib/dpkg/status".into(),
            layer: None,
        }
    }

    #[test]
    fn remediation_names_the_package_sensibly() {
        let p = deb("openssl", "1.1.1d-0+deb10u1", None);
        assert_eq!(
            remediation(&p, "openssl", Some("1.1.1d-0+deb10u2")),
            "upgrade openssl to 1.1.1d-0+deb10u2"
        );
        let p = deb(
            "libssl1.1",
            "1.1.1d-0+deb10u1",
            Some(("openssl", "1.1.1d-0+deb10u1")),
        );
        assert_eq!(
            remediation(&p, "openssl", Some("1.1.1d-0+deb10u2")),
            "upgrade libssl1.1 (source package openssl) to 1.1.1d-0+deb10u2"
        );
        let p = deb("e2fslibs", "1.43.4-2", Some(("e2fsprogs", "1.43.4-2+b1")));
        assert_eq!(
            remediation(&p, "e2fsprogs", Some("1.43.4-2+deb9u1")),
            "upgrade e2fslibs to the build from source package e2fsprogs 1.43.4-2+deb9u1 or later"
        );
        assert_eq!(remediation(&p, "e2fsprogs", None), "no fix released");
    }
}
