//! What makes two findings the same issue, as far as the package goes.
//!
//! A package is identified by its kind, its name (PEP 503-normalised for
//! Python, as the package index treats names) and its location: the path
//! it was read from with the installed version masked. The version itself
//! is left out on purpose: upgrading a package to a release that is still
//! vulnerable must keep the issue open, not fix it and open a new one.
//! The path is kept because two copies of one package at two places (npm's
//! nested `node_modules`, two virtualenvs) are upgraded separately. Masking
//! the version matters for formats that write it into the path (Python's
//! `urllib3-1.26.4.dist-info`, `lib/foo-1.2.3.jar`). The layer is left
//! out: rebuilding on a new base image changes every layer digest without
//! changing what is installed where.

use tagwarden_engine::analyzers::python::normalized_name;
use tagwarden_engine::inventory::{Package, PackageKind};

/// The package half of an issue's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageIdentity {
    /// The package kind (`deb`, `python`, `npm`…).
    pub kind: String,
    /// The name, normalised where the ecosystem ignores spelling.
    pub name: String,
    /// The path with the version masked as `{version}`.
    pub location: String,
}

impl PackageIdentity {
    /// The identity of an installed package.
    pub fn of(package: &Package) -> Self {
        let name = match package.kind {
            PackageKind::Python => normalized_name(&package.name),
            _ => package.name.clone(),
        };
        Self {
            kind: package.kind.as_str().to_owned(),
            name,
            location: location(&package.path, &package.version),
        }
    }

    /// One string for the store: kind, name and location joined by the
    /// ASCII unit separator, which none of them contains (PostgreSQL text
    /// cannot hold the NUL that would be the obvious choice).
    pub fn key(&self) -> String {
        format!("{}{SEP}{}{SEP}{}", self.kind, self.name, self.location)
    }

    /// The identity a [`key`](Self::key) was made from.
    pub fn from_key(key: &str) -> Option<Self> {
        let mut parts = key.splitn(3, SEP);
        Some(Self {
            kind: parts.next()?.to_owned(),
            name: parts.next()?.to_owned(),
            location: parts.next()?.to_owned(),
        })
    }
}

const SEP: char = '\u{1f}';

/// `path` with every whole occurrence of `version` replaced by
/// `{version}`. "Whole" means the characters around it are separators
/// (`/ - _ .` and friends) or the ends of the path, so version `1` does
/// not mask the `1` of `python3.11`.
pub fn location(path: &str, version: &str) -> String {
    if version.is_empty() {
        return path.to_owned();
    }
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    let mut before: Option<char> = None;
    while let Some(at) = rest.find(version) {
        let prev = rest[..at].chars().next_back().or(before);
        let after = rest[at + version.len()..].chars().next();
        let whole = prev.is_none_or(is_separator) && after.is_none_or(is_separator_after);
        let cut = if whole { at + version.len() } else { at + 1 };
        let cut = next_boundary(rest, cut);
        out.push_str(&rest[..at]);
        if whole {
            out.push_str("{version}");
        } else {
            out.push_str(&rest[at..cut]);
        }
        before = rest[..cut].chars().next_back();
        rest = &rest[cut..];
    }
    out.push_str(rest);
    out
}

fn is_separator(c: char) -> bool {
    matches!(c, '/' | '-' | '_' | '@' | '=' | '!' | ':')
}

/// After a version, a `.` is a separator too (`-1.2.3.jar`,
/// `-1.26.4.dist-info`); before one it is not, or `python3.11` would
/// lose its `11` to version `11`.
fn is_separator_after(c: char) -> bool {
    is_separator(c) || c == '.'
}

fn next_boundary(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_masked_where_formats_write_it() {
        let dist = "/usr/local/lib/python3.11/site-packages/urllib3-1.26.4.dist-info/METADATA";
        assert_eq!(
            location(dist, "1.26.4"),
            "/usr/local/lib/python3.11/site-packages/urllib3-{version}.dist-info/METADATA"
        );
        let egg = "/usr/lib/python3/dist-packages/Jinja2-2.11.2-py3.11.egg-info";
        assert_eq!(
            location(egg, "2.11.2"),
            "/usr/lib/python3/dist-packages/Jinja2-{version}-py3.11.egg-info"
        );
        assert_eq!(
            location("/app/lib/foo-1.2.3.jar", "1.2.3"),
            "/app/lib/foo-{version}.jar"
        );
    }

    #[test]
    fn parts_of_other_words_are_left_alone() {
        let dist = "/usr/local/lib/python3.11/site-packages/x-11.dist-info/METADATA";
        assert_eq!(
            location(dist, "11"),
            "/usr/local/lib/python3.11/site-packages/x-{version}.dist-info/METADATA"
        );
        assert_eq!(
            location("/var/lib/dpkg/status", "1.2"),
            "/var/lib/dpkg/status"
        );
        assert_eq!(
            location("/app/node_modules/a1/package.json", "1"),
            "/app/node_modules/a1/package.json"
        );
        assert_eq!(location("/p", ""), "/p");
    }

    #[test]
    fn python_names_are_normalised_and_versions_ignored() {
        let package = |name: &str, version: &str| Package {
            kind: PackageKind::Python,
            name: name.into(),
            version: version.into(),
            source_name: None,
            source_version: None,
            arch: None,
            path: format!("/site-packages/{name}-{version}.dist-info/METADATA"),
            layer: Some("sha256:1".into()),
        };
        let old = PackageIdentity::of(&package("Jinja2", "2.11.2"));
        let new = PackageIdentity::of(&Package {
            layer: Some("sha256:2".into()),
            ..package("Jinja2", "2.11.3")
        });
        assert_eq!(old, new);
        assert_eq!(old.name, "jinja2");
        assert_eq!(
            old.key(),
            "python\u{1f}jinja2\u{1f}/site-packages/Jinja2-{version}.dist-info/METADATA"
        );
        assert_eq!(PackageIdentity::from_key(&old.key()), Some(old));
    }
}
