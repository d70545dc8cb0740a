//! Which advisories apply to a package: its ecosystem (with the
//! distribution release for OS packages), the name advisories use for it,
//! and the version to compare.
//!
//! Debian and Ubuntu advisories name source packages and source versions
//! (`libssl1.1` is built from `openssl`), Alpine's name the origin package
//! (apk `o:`), so OS packages are looked up by their source. Language
//! packages are looked up by their own name.

use crate::inventory::{OsRelease, Package, PackageKind};

/// What to look up for one package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    /// `Debian:11`, `Alpine:v3.10`, `PyPI`…
    pub ecosystem: String,
    /// The name advisories use (source package for Debian, Ubuntu, Alpine).
    pub name: String,
    /// The version to compare (the source version for Debian and Ubuntu).
    pub version: String,
}

/// Why a package has no ecosystem to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// In words, for the "not covered" list.
    pub reason: String,
}

/// Derives the query for a package.
pub fn query_for(os: Option<&OsRelease>, package: &Package) -> Result<Query, Unmapped> {
    let language = |ecosystem: &str| Query {
        ecosystem: ecosystem.to_owned(),
        name: package.name.clone(),
        version: package.version.clone(),
    };
    Ok(match package.kind {
        PackageKind::Python => language("PyPI"),
        PackageKind::Npm => language("npm"),
        PackageKind::Go => language("Go"),
        PackageKind::Cargo => language("crates.io"),
        PackageKind::Maven => language("Maven"),
        PackageKind::Gem => language("RubyGems"),
        PackageKind::Composer => language("Packagist"),
        PackageKind::Deb | PackageKind::Apk => Query {
            ecosystem: os_ecosystem(os, package.kind)?,
            name: package.source_or_name().to_owned(),
            version: package.source_version_or_version().to_owned(),
        },
        PackageKind::Rpm => Query {
            ecosystem: os_ecosystem(os, package.kind)?,
            name: package.name.clone(),
            version: package.version.clone(),
        },
    })
}

/// The advisory ecosystem of the image's distribution, for OS packages of
/// the given kind.
///
/// A Debian without `VERSION_ID` is testing or unstable, which has no
/// release-keyed advisories; such packages are reported as not covered.
pub fn os_ecosystem(os: Option<&OsRelease>, kind: PackageKind) -> Result<String, Unmapped> {
    let unmapped = |reason: String| Err(Unmapped { reason });
    let Some(os) = os else {
        return unmapped(format!(
            "{kind} package in an image whose distribution was not recognised"
        ));
    };
    let version = os.version_id.as_deref().unwrap_or("").trim();
    let major = version.split('.').next().unwrap_or("");
    let major_minor = || version.split('.').take(2).collect::<Vec<_>>().join(".");
    if version.is_empty() {
        return unmapped(format!("{} without VERSION_ID (a rolling release)", os.id));
    }
    let ecosystem = match (os.id.as_str(), kind) {
        ("debian", PackageKind::Deb) => format!("Debian:{major}"),
        ("ubuntu", PackageKind::Deb) => format!("Ubuntu:{version}"),
        ("alpine", PackageKind::Apk) => {
            // Edge spells its release `3.21_alpha20240807`.
            let release: String = major_minor()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            format!("Alpine:v{release}")
        }
        ("almalinux", PackageKind::Rpm) => format!("AlmaLinux:{major}"),
        ("rocky", PackageKind::Rpm) => format!("Rocky Linux:{major}"),
        ("opensuse-leap", PackageKind::Rpm) => format!("openSUSE:Leap {version}"),
        (id, kind) => {
            return unmapped(format!("{kind} packages of {id} {version}"));
        }
    };
    Ok(ecosystem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str, version: &str) -> OsRelease {
        OsRelease {
            id: id.into(),
            version_id: Some(version.into()),
            ..OsRelease::default()
        }
    }

    fn package(
        kind: PackageKind,
        name: &str,
        version: &str,
        source: Option<(&str, &str)>,
    ) -> Package {
        Package {
            kind,
            name: name.into(),
            version: version.into(),
            source_name: source.map(|s| s.0.into()),
            source_version: source.map(|s| s.1.into()),
            arch: None,
            path: "/".into(),
            layer: None,
        }
    }

    #[test]
    fn os_identity_gives_the_release() {
        let deb = PackageKind::Deb;
        assert_eq!(
            os_ecosystem(Some(&os("debian", "11")), deb).unwrap(),
            "Debian:11"
        );
        assert_eq!(
            os_ecosystem(Some(&os("ubuntu", "22.04")), deb).unwrap(),
            "Ubuntu:22.04"
        );
        let apk = PackageKind::Apk;
        assert_eq!(
            os_ecosystem(Some(&os("alpine", "3.10.9")), apk).unwrap(),
            "Alpine:v3.10"
        );
        assert_eq!(
            os_ecosystem(Some(&os("alpine", "3.21_alpha20240807")), apk).unwrap(),
            "Alpine:v3.21"
        );
        let rpm = PackageKind::Rpm;
        assert_eq!(
            os_ecosystem(Some(&os("almalinux", "9.3")), rpm).unwrap(),
            "AlmaLinux:9"
        );
        assert!(os_ecosystem(None, deb).is_err());
        assert!(os_ecosystem(Some(&os("fedora", "40")), rpm).is_err());
    }

    #[test]
    fn debian_packages_are_looked_up_by_source() {
        let debian = os("debian", "10");
        let p = package(
            PackageKind::Deb,
            "libssl1.1",
            "1.1.1d-0+deb10u1",
            Some(("openssl", "1.1.1d-0+deb10u1")),
        );
        let q = query_for(Some(&debian), &p).unwrap();
        assert_eq!(
            (q.ecosystem.as_str(), q.name.as_str()),
            ("Debian:10", "openssl")
        );
        let p = package(PackageKind::Deb, "bash", "5.0-4", None);
        assert_eq!(query_for(Some(&debian), &p).unwrap().name, "bash");
        let p = package(PackageKind::Python, "Jinja2", "2.10", None);
        assert_eq!(query_for(None, &p).unwrap().ecosystem, "PyPI");
    }
}
