//! npm packages: what `npm install` put in `node_modules`, and what a
//! project's lockfile pins.
//!
//! Installed packages are read from `node_modules/<name>/package.json` and
//! `node_modules/@scope/<name>/package.json`, at any depth (npm nests a
//! second version of a package under its dependant). A `package.json`
//! deeper inside a package (test fixtures, `{"type": "module"}` markers) is
//! not a package and is not read; one without both `name` and `version` is
//! skipped.
//!
//! Lockfiles (`package-lock.json`, `npm-shrinkwrap.json`) outside
//! `node_modules` are read too, for images that ship a project without its
//! installed tree: v1's nested `dependencies`, and v2/v3's flat `packages`
//! map. When the same directory also has an installed `node_modules`, the
//! installed tree is the truth (the lockfile may list optional packages
//! for other platforms that were never installed), and [`prefer_installed`]
//! drops that lockfile's packages. npm's own hidden lockfile,
//! `node_modules/.package-lock.json`, duplicates the tree and is not read.

mod lockfile;

use serde::Deserialize;

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::{Package, PackageKind};

pub use lockfile::parse_lockfile;

/// Reads `node_modules` manifests and npm lockfiles.
#[derive(Debug, Default, Clone, Copy)]
pub struct NpmAnalyzer;

impl Analyzer for NpmAnalyzer {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        is_installed_manifest(file.path) || is_lockfile(file.path)
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let error = |reason: String| AnalyzeError {
            analyzer: "npm",
            path: file.path.to_owned(),
            reason,
        };
        let packages = if is_lockfile(file.path) {
            parse_lockfile(file.contents).map_err(error)?
        } else {
            parse_package_json(file.contents)
                .map_err(error)?
                .into_iter()
                .collect()
        };
        Ok(Findings {
            packages,
            ..Findings::default()
        })
    }
}

/// `…/node_modules/<name>/package.json` or
/// `…/node_modules/@scope/<name>/package.json`.
fn is_installed_manifest(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/package.json") else {
        return false;
    };
    let Some((parent, name)) = dir.rsplit_once('/') else {
        return false;
    };
    if name.is_empty() || name.starts_with('.') || name.starts_with('@') {
        return false;
    }
    if parent.ends_with("/node_modules") {
        return true;
    }
    parent.rsplit_once('/').is_some_and(|(grandparent, scope)| {
        scope.starts_with('@') && grandparent.ends_with("/node_modules")
    })
}

/// A project lockfile, not one shipped inside an installed package.
fn is_lockfile(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    matches!(file, "package-lock.json" | "npm-shrinkwrap.json") && !path.contains("/node_modules/")
}

#[derive(Debug, Deserialize)]
struct Manifest {
    name: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// Reads an installed package's `package.json`: `None` when it lacks a
/// string `name` or `version` (then it describes no installed package).
pub fn parse_package_json(contents: &[u8]) -> Result<Option<Package>, String> {
    let manifest: Manifest =
        serde_json::from_slice(contents).map_err(|e| format!("invalid JSON: {e}"))?;
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    Ok(match (text(manifest.name), text(manifest.version)) {
        (Some(name), Some(version)) => Some(npm_package(name, version)),
        _ => None,
    })
}

fn npm_package(name: String, version: String) -> Package {
    Package {
        kind: PackageKind::Npm,
        name,
        version,
        source_name: None,
        source_version: None,
        arch: None,
        path: String::new(),
        layer: None,
    }
}

/// Drops the packages of a lockfile whose directory also has packages
/// installed under `node_modules` in the same inventory (see the module
/// documentation). Packages of other kinds are left alone.
pub fn prefer_installed(packages: &mut Vec<Package>) {
    let installed_roots: Vec<String> = packages
        .iter()
        .filter(|p| p.kind == PackageKind::Npm && is_installed_manifest(&p.path))
        .filter_map(|p| {
            p.path
                .find("/node_modules/")
                .map(|i| p.path[..i].to_owned())
        })
        .collect();
    packages.retain(|p| {
        if p.kind != PackageKind::Npm || !is_lockfile(&p.path) {
            return true;
        }
        let dir = p.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        !installed_roots.iter().any(|root| root == dir)
    });
}

#[cfg(test)]
mod tests;
