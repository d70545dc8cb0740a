//! What an image contains: its operating system and every package found in
//! it, each with where it came from.
//!
//! This is the seam between the two halves of the engine. Analyzers produce
//! an [`Inventory`] from files; the matcher reads it and never looks at
//! files. The scanner stores it per digest, so a new advisory database can
//! be matched again without pulling the image.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of package manager that installed a package. It decides which
/// advisory ecosystem and which version ordering apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// Debian and Ubuntu packages (dpkg).
    Deb,
    /// Alpine packages (apk).
    Apk,
    /// Red Hat family packages (rpm).
    Rpm,
    /// Python distributions (dist-info, egg-info).
    Python,
    /// npm packages (node_modules, package-lock.json).
    Npm,
    /// Go modules compiled into a binary, and the Go standard library
    /// (`stdlib`) at the toolchain version that built it.
    Go,
    /// Rust crates (Cargo.lock, cargo-auditable data in binaries).
    Cargo,
    /// Java archives (Maven coordinates).
    Maven,
    /// Ruby gems.
    Gem,
    /// PHP Composer packages.
    Composer,
}

impl PackageKind {
    /// Lower-case name used in reports and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Deb => "deb",
            PackageKind::Apk => "apk",
            PackageKind::Rpm => "rpm",
            PackageKind::Python => "python",
            PackageKind::Npm => "npm",
            PackageKind::Go => "go",
            PackageKind::Cargo => "cargo",
            PackageKind::Maven => "maven",
            PackageKind::Gem => "gem",
            PackageKind::Composer => "composer",
        }
    }

    /// True for packages of the operating system, whose advisories depend
    /// on the distribution release.
    pub fn is_os(self) -> bool {
        matches!(self, PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm)
    }
}

impl fmt::Display for PackageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// Which package manager installed it.
    pub kind: PackageKind,
    /// The name as the package manager spells it (`libssl3`, `Jinja2`,
    /// `@babel/core`, `github.com/gorilla/mux`).
    pub name: String,
    /// The installed version, in the package manager's own syntax (dpkg
    /// `1:2.3-4`, rpm `[epoch:]version-release`, Go `v1.2.3`).
    pub version: String,
    /// The source package it was built from, where the package manager
    /// records one: dpkg `Source:`, apk origin (`o:`), rpm source rpm name.
    /// Debian, Ubuntu and Alpine advisories name source packages.
    pub source_name: Option<String>,
    /// The source package's version when it differs from `version`
    /// (dpkg `Source: name (version)`).
    pub source_version: Option<String>,
    /// CPU architecture where recorded (`amd64`, `x86_64`).
    pub arch: Option<String>,
    /// The file the package was read from, absolute inside the image
    /// (`/var/lib/dpkg/status`, `/usr/local/bin/app`).
    pub path: String,
    /// Diff id (`sha256:…` of the uncompressed layer) of the layer that
    /// brought this package: the topmost layer that wrote `path`.
    pub layer: Option<String>,
}

impl Package {
    /// The source package name, or the package's own name when it has none.
    pub fn source_or_name(&self) -> &str {
        self.source_name.as_deref().unwrap_or(&self.name)
    }

    /// The source version, or the package's own version when it has none.
    pub fn source_version_or_version(&self) -> &str {
        self.source_version.as_deref().unwrap_or(&self.version)
    }
}

/// The operating system an image is built on, from `/etc/os-release` (or
/// the distribution's own release file when that is missing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID`: `debian`, `ubuntu`, `alpine`, `almalinux`…
    pub id: String,
    /// `VERSION_ID`: `12`, `22.04`, `3.18.4`, `9.3`.
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`: `bookworm`, `jammy`.
    pub version_codename: Option<String>,
    /// `ID_LIKE`, split on spaces: families this one follows.
    pub id_like: Vec<String>,
    /// `PRETTY_NAME`, for reports.
    pub pretty_name: Option<String>,
}

/// Everything found in one image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The operating system, when one was recognised.
    pub os: Option<OsRelease>,
    /// Every package, sorted by kind, name, version and path.
    pub packages: Vec<Package>,
    /// Things the analyzers could not read, in words an operator
    /// understands ("rpm database in Berkeley DB format is not read").
    pub warnings: Vec<String>,
}

impl Inventory {
    /// Sorts packages and removes exact duplicates, so two scans of the
    /// same image compare equal whatever order layers were analyzed in.
    pub fn normalize(&mut self) {
        self.packages.sort();
        self.packages.dedup();
        self.warnings.sort();
        self.warnings.dedup();
    }
}
