//! How ecosystem and package names are spelled in the database's index, so
//! that the importer and the matcher agree on one key.
//!
//! Both sides go through [`index_key`]: the importer with what a record
//! says, the matcher with what it derived from the image. Whatever spelling
//! differences exist between the two (Ubuntu's `:LTS`, PyPI's `Jinja2`
//! versus `jinja2`) are settled here, in one place.

use crate::version::VersionScheme;

/// The ecosystem as the index stores it.
///
/// Ubuntu's feed writes LTS releases as `Ubuntu:22.04:LTS`, while an
/// image's os-release only says `22.04`; osv.dev answers `Ubuntu:22.04`
/// queries with `:LTS` records, and so does this. `Ubuntu:Pro:…` records
/// stay distinct: they describe fixes that need an Ubuntu Pro subscription,
/// and an image without one does not receive them.
pub fn normalize_ecosystem(ecosystem: &str) -> String {
    let trimmed = ecosystem.trim();
    match trimmed.strip_suffix(":LTS") {
        Some(release) if trimmed.starts_with("Ubuntu:") => release.to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// The package name as the index stores it, for the given (normalised)
/// ecosystem.
///
/// PyPI names are compared PEP 503-normalised (`Jinja2`, `jinja_2` and
/// `jinja-2` are one project). Every other ecosystem compares names
/// exactly: npm scoped names (`@babel/core`) stay whole, Go module paths
/// are case-sensitive, Maven uses `groupId:artifactId`.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    if base(ecosystem) == "PyPI" {
        pep503(name)
    } else {
        name.trim().to_owned()
    }
}

/// The key under which (ecosystem, package) is stored: both normalised,
/// joined by a NUL, which neither can contain.
pub fn index_key(ecosystem: &str, name: &str) -> String {
    let ecosystem = normalize_ecosystem(ecosystem);
    let name = normalize_name(&ecosystem, name);
    format!("{ecosystem}\u{0}{name}")
}

/// PEP 503: lower case, and every run of `-`, `_`, `.` becomes one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// The ecosystem without its release: `Debian:11` → `Debian`.
pub fn base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem)
}

/// The version ordering of an ecosystem's ranges, or `None` for an
/// ecosystem whose ordering we do not implement (its records still match
/// through their explicit `versions` lists).
///
/// `SEMVER` ranges use SemVer whatever the ecosystem, except Go, whose
/// versions (toolchain spellings, pseudo-versions) need the Go scheme.
pub fn scheme_for(ecosystem: &str, range_kind_semver: bool) -> Option<VersionScheme> {
    let scheme = match base(ecosystem) {
        "Debian" | "Ubuntu" => Some(VersionScheme::Dpkg),
        "Alpine" => Some(VersionScheme::Apk),
        "AlmaLinux" | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" | "Mageia" => {
            Some(VersionScheme::Rpm)
        }
        "PyPI" => Some(VersionScheme::Pep440),
        "npm" | "crates.io" => Some(VersionScheme::SemVer),
        "Go" => Some(VersionScheme::Go),
        "Maven" => Some(VersionScheme::Maven),
        "RubyGems" => Some(VersionScheme::RubyGems),
        _ => None,
    };
    match scheme {
        None if range_kind_semver => Some(VersionScheme::SemVer),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ubuntu_lts_suffix_is_dropped_but_pro_stays_distinct() {
        assert_eq!(normalize_ecosystem("Ubuntu:22.04:LTS"), "Ubuntu:22.04");
        assert_eq!(normalize_ecosystem("Ubuntu:22.04"), "Ubuntu:22.04");
        assert_eq!(
            normalize_ecosystem("Ubuntu:Pro:18.04:LTS"),
            "Ubuntu:Pro:18.04"
        );
        assert_eq!(normalize_ecosystem("Debian:11"), "Debian:11");
    }

    #[test]
    fn pypi_names_are_pep503_normalised_others_exact() {
        assert_eq!(pep503("Jinja2"), "jinja2");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(index_key("PyPI", "Flask_Cors"), "PyPI\u{0}flask-cors");
        assert_eq!(index_key("npm", "@Babel/core"), "npm\u{0}@Babel/core");
        assert_eq!(
            index_key("Ubuntu:22.04:LTS", "openssl"),
            index_key("Ubuntu:22.04", "openssl")
        );
    }

    #[test]
    fn schemes_follow_the_ecosystem() {
        assert_eq!(scheme_for("Debian:9", false), Some(VersionScheme::Dpkg));
        assert_eq!(scheme_for("Alpine:v3.10", false), Some(VersionScheme::Apk));
        assert_eq!(scheme_for("AlmaLinux:9", false), Some(VersionScheme::Rpm));
        assert_eq!(scheme_for("Go", true), Some(VersionScheme::Go));
        assert_eq!(scheme_for("crates.io", true), Some(VersionScheme::SemVer));
        assert_eq!(scheme_for("Hackage", false), None);
        assert_eq!(scheme_for("Hackage", true), Some(VersionScheme::SemVer));
    }
}
