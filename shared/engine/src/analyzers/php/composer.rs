//! The two Composer files that list installed packages, as JSON. Only
//! each package's `name` and `version` are read.

use serde::Deserialize;

/// One package entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ComposerPackage {
    pub(crate) name: String,
    pub(crate) version: String,
}

#[derive(Debug, Deserialize)]
struct Lockfile {
    #[serde(default)]
    packages: Option<Vec<ComposerPackage>>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Option<Vec<ComposerPackage>>,
}

/// `installed.json`: an array (Composer 1) or an object holding one
/// (Composer 2).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Installed {
    V1(Vec<ComposerPackage>),
    V2 { packages: Vec<ComposerPackage> },
}

/// `packages` then `packages-dev` of a `composer.lock`.
pub(crate) fn lockfile(json: &[u8]) -> Result<Vec<ComposerPackage>, String> {
    let lock: Lockfile = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    let mut packages = lock.packages.unwrap_or_default();
    packages.extend(lock.packages_dev.unwrap_or_default());
    Ok(packages)
}

/// Every package of a `vendor/composer/installed.json`.
pub(crate) fn installed_json(json: &[u8]) -> Result<Vec<ComposerPackage>, String> {
    match serde_json::from_slice(json) {
        Ok(Installed::V1(packages) | Installed::V2 { packages }) => Ok(packages),
        Err(_) => Err(
            "neither a Composer 1 package array nor a Composer 2 object with `packages`, \
             each package with a string `name` and `version`"
                .to_owned(),
        ),
    }
}
