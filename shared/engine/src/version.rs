//! Version ordering for every package ecosystem the scanner matches.
//!
//! An advisory says "affected from A, fixed in B"; whether an installed
//! package falls in that range depends on the ecosystem's own idea of order:
//! dpkg's `~` sorts before the end of a string, apk's `_rc` before the
//! release, PEP 440's `.dev` before `a`, and so on. Each scheme lives in its
//! own module with a parsed type, so a matcher parses the installed version
//! once and compares it against many range bounds without re-parsing.
//!
//! [`VersionScheme`] is the entry point: it names the ordering, parses into a
//! [`Version`], and compares two strings in one call.

use std::cmp::Ordering;
use std::fmt;

/// Implements the comparison and display traits every scheme's type shares,
/// from its `Ord` and `as_str`: equality means "same place in the order",
/// which is what range matching needs (dpkg's `1.0` equals `1.00`).
macro_rules! ordered_by_cmp {
    ($ty:ty) => {
        impl PartialOrd for $ty {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == std::cmp::Ordering::Equal
            }
        }

        impl Eq for $ty {}

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod apk;
pub mod dpkg;
pub mod go;
pub mod maven;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use apk::ApkVersion;
pub use dpkg::DpkgVersion;
pub use go::GoVersion;
pub use maven::MavenVersion;
pub use pep440::Pep440Version;
pub use rpm::RpmVersion;
pub use rubygems::GemVersion;
pub use semver::SemverVersion;

/// The ordering rules of one package ecosystem.
///
/// Several ecosystems share a scheme (npm and crates.io both use
/// [`VersionScheme::SemVer`]), so the matcher maps an advisory's ecosystem to
/// a scheme and everything below works on the scheme alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionScheme {
    /// Debian and Ubuntu packages: epoch, upstream version, revision.
    Dpkg,
    /// Alpine packages: digits, a letter, `_` suffixes, `-rN`.
    Apk,
    /// Red Hat family packages: `rpmvercmp` over epoch, version, release.
    Rpm,
    /// Semantic Versioning 2.0 (npm, crates.io).
    SemVer,
    /// Go modules and the Go toolchain (the standard library).
    Go,
    /// Python packages (PEP 440).
    Pep440,
    /// Maven artifacts (Maven's `ComparableVersion`).
    Maven,
    /// Ruby gems (`Gem::Version`).
    RubyGems,
}

impl VersionScheme {
    /// Every scheme, for callers that iterate (tests, configuration checks).
    pub const ALL: [VersionScheme; 8] = [
        VersionScheme::Dpkg,
        VersionScheme::Apk,
        VersionScheme::Rpm,
        VersionScheme::SemVer,
        VersionScheme::Go,
        VersionScheme::Pep440,
        VersionScheme::Maven,
        VersionScheme::RubyGems,
    ];

    /// The short lower-case name used in logs and error messages.
    pub fn name(self) -> &'static str {
        match self {
            VersionScheme::Dpkg => "dpkg",
            VersionScheme::Apk => "apk",
            VersionScheme::Rpm => "rpm",
            VersionScheme::SemVer => "semver",
            VersionScheme::Go => "go",
            VersionScheme::Pep440 => "pep440",
            VersionScheme::Maven => "maven",
            VersionScheme::RubyGems => "rubygems",
        }
    }

    /// Parses `input` under this scheme, so it can be compared many times.
    pub fn parse(self, input: &str) -> Result<Version, VersionError> {
        Ok(match self {
            VersionScheme::Dpkg => Version::Dpkg(input.parse()?),
            VersionScheme::Apk => Version::Apk(input.parse()?),
            VersionScheme::Rpm => Version::Rpm(input.parse()?),
            VersionScheme::SemVer => Version::SemVer(input.parse()?),
            VersionScheme::Go => Version::Go(input.parse()?),
            VersionScheme::Pep440 => Version::Pep440(input.parse()?),
            VersionScheme::Maven => Version::Maven(input.parse()?),
            VersionScheme::RubyGems => Version::RubyGems(input.parse()?),
        })
    }

    /// Compares two version strings under this scheme.
    ///
    /// A convenience for one-off comparisons; a matcher checking one package
    /// against many bounds should [`parse`](Self::parse) once instead.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        self.parse(a)?.compare(&self.parse(b)?)
    }
}

impl fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a version could not be parsed or compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The string is not a version under the named scheme. Advisory data
    /// and package databases both contain the odd malformed string; the
    /// caller decides whether to skip the range or the package.
    #[error("{input:?} is not a valid {scheme} version: {reason}")]
    Invalid {
        /// The scheme the string was parsed under.
        scheme: VersionScheme,
        /// The string as given.
        input: String,
        /// What is wrong with it, in words.
        reason: String,
    },
    /// Two versions of different schemes have no order between them; this
    /// means a matcher paired a package with the wrong ecosystem's advisory.
    #[error("cannot compare a {left} version with a {right} version")]
    SchemeMismatch {
        /// The scheme of the left-hand version.
        left: VersionScheme,
        /// The scheme of the right-hand version.
        right: VersionScheme,
    },
}

impl VersionError {
    /// Builds an [`VersionError::Invalid`]; used by every scheme's parser.
    pub(crate) fn invalid(
        scheme: VersionScheme,
        input: &str,
        reason: impl fmt::Display,
    ) -> VersionError {
        VersionError::Invalid {
            scheme,
            input: input.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// A parsed version of any scheme.
///
/// Versions of the same scheme are totally ordered; versions of different
/// schemes are not ordered at all (`partial_cmp` gives `None`), and
/// [`Version::compare`] says so with an error rather than guessing.
#[derive(Debug, Clone)]
pub enum Version {
    /// A Debian package version.
    Dpkg(DpkgVersion),
    /// An Alpine package version.
    Apk(ApkVersion),
    /// An RPM epoch-version-release.
    Rpm(RpmVersion),
    /// A semantic version.
    SemVer(SemverVersion),
    /// A Go module or toolchain version.
    Go(GoVersion),
    /// A Python (PEP 440) version.
    Pep440(Pep440Version),
    /// A Maven artifact version.
    Maven(MavenVersion),
    /// A Ruby gem version.
    RubyGems(GemVersion),
}

impl Version {
    /// The scheme this version was parsed under.
    pub fn scheme(&self) -> VersionScheme {
        match self {
            Version::Dpkg(_) => VersionScheme::Dpkg,
            Version::Apk(_) => VersionScheme::Apk,
            Version::Rpm(_) => VersionScheme::Rpm,
            Version::SemVer(_) => VersionScheme::SemVer,
            Version::Go(_) => VersionScheme::Go,
            Version::Pep440(_) => VersionScheme::Pep440,
            Version::Maven(_) => VersionScheme::Maven,
            Version::RubyGems(_) => VersionScheme::RubyGems,
        }
    }

    /// The string the version was parsed from, trimmed of surrounding
    /// whitespace, so reports show what the package database said.
    pub fn as_str(&self) -> &str {
        match self {
            Version::Dpkg(v) => v.as_str(),
            Version::Apk(v) => v.as_str(),
            Version::Rpm(v) => v.as_str(),
            Version::SemVer(v) => v.as_str(),
            Version::Go(v) => v.as_str(),
            Version::Pep440(v) => v.as_str(),
            Version::Maven(v) => v.as_str(),
            Version::RubyGems(v) => v.as_str(),
        }
    }

    /// Orders two versions of the same scheme; a mismatch is an error.
    pub fn compare(&self, other: &Version) -> Result<Ordering, VersionError> {
        self.partial_cmp(other).ok_or(VersionError::SchemeMismatch {
            left: self.scheme(),
            right: other.scheme(),
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Version::Dpkg(a), Version::Dpkg(b)) => Some(a.cmp(b)),
            (Version::Apk(a), Version::Apk(b)) => Some(a.cmp(b)),
            (Version::Rpm(a), Version::Rpm(b)) => Some(a.cmp(b)),
            (Version::SemVer(a), Version::SemVer(b)) => Some(a.cmp(b)),
            (Version::Go(a), Version::Go(b)) => Some(a.cmp(b)),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            (Version::Maven(a), Version::Maven(b)) => Some(a.cmp(b)),
            (Version::RubyGems(a), Version::RubyGems(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

impl PartialEq for Version {
    /// Equal in order, not in spelling: dpkg's `1.0` equals `1.00`.
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
