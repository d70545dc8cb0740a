//! `package-lock.json` and `npm-shrinkwrap.json`, versions 1 to 3.
//!
//! v1 (npm 5 and 6) nests `dependencies` the way `node_modules` nests;
//! v2 (npm 7 and 8) carries that tree and a flat `packages` map keyed by
//! install path (`node_modules/a/node_modules/b`); v3 has only `packages`.
//! `packages` wins when present. Skipped: the root project (key `""`),
//! workspace members' own sources (keys outside `node_modules`), symlinked
//! packages (`link: true`, v1 `file:` versions), development-only packages
//! (`dev: true`, usually absent from a production image), and v1 versions
//! that are git or tarball URLs rather than registry versions.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::npm_package;
use crate::inventory::Package;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lockfile {
    lockfile_version: Option<u32>,
    #[serde(default)]
    packages: Option<BTreeMap<String, FlatEntry>>,
    #[serde(default)]
    dependencies: BTreeMap<String, NestedEntry>,
}

/// A v2/v3 `packages` entry (its `dependencies` are version ranges, not
/// read).
#[derive(Debug, Default, Deserialize)]
struct FlatEntry {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    link: bool,
}

/// A v1 `dependencies` entry, nesting further entries.
#[derive(Debug, Default, Deserialize)]
struct NestedEntry {
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, NestedEntry>,
}

/// Reads a lockfile's packages; `path` and `layer` are left empty.
pub fn parse_lockfile(contents: &[u8]) -> Result<Vec<Package>, String> {
    let lock: Lockfile =
        serde_json::from_slice(contents).map_err(|e| format!("invalid lockfile: {e}"))?;
    let mut out = Vec::new();
    match (lock.packages, lock.lockfile_version) {
        (Some(packages), _) => flat(packages, &mut out),
        (None, Some(1) | None) => nested(lock.dependencies, &mut out),
        (None, Some(v)) => {
            return Err(format!("lockfileVersion {v} without a \"packages\" map"));
        }
    }
    Ok(out)
}

/// v2/v3 `packages`: `{"node_modules/a": {"version": "1.0.0"}, …}`.
fn flat(packages: BTreeMap<String, FlatEntry>, out: &mut Vec<Package>) {
    for (key, entry) in packages {
        let Some(index) = key.rfind("node_modules/") else {
            continue;
        };
        if entry.link || entry.dev {
            continue;
        }
        let Some(version) = entry.version.filter(|v| !v.is_empty()) else {
            continue;
        };
        let name = entry
            .name
            .unwrap_or_else(|| key[index + "node_modules/".len()..].to_owned());
        out.push(npm_package(name, version));
    }
}

/// v1 `dependencies`, recursively.
fn nested(dependencies: BTreeMap<String, NestedEntry>, out: &mut Vec<Package>) {
    for (key, entry) in dependencies {
        if !entry.dev
            && let Some((name, version)) = v1_version(&key, entry.version.as_deref())
        {
            out.push(npm_package(name, version));
        }
        nested(entry.dependencies, out);
    }
}

/// A v1 entry's name and registry version: `npm:real@1.2.3` names an alias
/// of another package; anything not starting with a digit (`file:`, git
/// URLs, tarball URLs) is not a registry version.
fn v1_version(key: &str, version: Option<&str>) -> Option<(String, String)> {
    let version = version?.trim();
    let (name, version) = match version.strip_prefix("npm:") {
        Some(alias) => {
            let at = alias.rfind('@').filter(|&i| i > 0)?;
            (alias[..at].to_owned(), alias[at + 1..].to_owned())
        }
        None => (key.to_owned(), version.to_owned()),
    };
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then_some((name, version))
}
