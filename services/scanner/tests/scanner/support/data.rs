//! Real test data: OSV records from `../shared/vulndata/osv` (read in
//! place, copied only into a test's temporary folder), the images that
//! `infra/images` builds, and small images built here with umoci.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use tagwarden_testkit::{ImageBuilder, LocalRegistry, OciImage};

/// `../shared/vulndata/osv` beside the clone (or under
/// `$TAGWARDEN_SHARED`).
pub(crate) fn osv_dir() -> PathBuf {
    let shared = std::env::var_os("TAGWARDEN_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    );
    shared.join("vulndata/osv")
}

/// The packages the test images hold advisories for (PEP 503 names for
/// Python, as OSV spells them).
pub(crate) const IMAGE_PACKAGES: [&str; 11] = [
    "urllib3", "requests", "idna", "certifi", "jinja2", "sqlparse", "django", "lodash", "minimist",
    "jquery", "mkdirp",
];

/// Writes into `dir` every PyPI and npm record that names one of
/// `packages`, except the records in `except`. Returns the ids written.
pub(crate) fn write_advisories(dir: &Path, packages: &[&str], except: &[&str]) -> BTreeSet<String> {
    std::fs::create_dir_all(dir).unwrap();
    let mut written = BTreeSet::new();
    for ecosystem in ["PyPI", "npm"] {
        let source = osv_dir().join(ecosystem);
        let entries = std::fs::read_dir(&source)
            .unwrap_or_else(|e| panic!("{}: {e}; see ../shared/vulndata", source.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let record: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let id = record["id"].as_str().unwrap().to_owned();
            if except.contains(&id.as_str()) || !names_one_of(&record, packages) {
                continue;
            }
            std::fs::write(dir.join(path.file_name().unwrap()), &bytes).unwrap();
            written.insert(id);
        }
    }
    written
}

/// Copies one record of `ecosystem` into `dir`.
pub(crate) fn add_advisory(dir: &Path, ecosystem: &str, id: &str) {
    let file = format!("{id}.json");
    std::fs::copy(osv_dir().join(ecosystem).join(&file), dir.join(&file)).unwrap();
}

fn names_one_of(record: &serde_json::Value, packages: &[&str]) -> bool {
    let Some(affected) = record["affected"].as_array() else {
        return false;
    };
    affected.iter().any(|a| {
        a["package"]["name"]
            .as_str()
            .is_some_and(|name| packages.contains(&name.to_lowercase().as_str()))
    })
}

/// Builds (or finds cached) image `name` with `infra/images/build.sh`,
/// pushes it to `registry` as `repo_tag` with its digest preserved, and
/// returns that digest.
pub(crate) fn push_built(registry: &LocalRegistry, name: &str, repo_tag: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("infra/images/push.sh"))
        .arg(registry.host())
        .arg(format!("{name}={repo_tag}"))
        .output()
        .expect("run infra/images/push.sh (infra/local/deps.sh installs its tools)");
    assert!(
        out.status.success(),
        "push.sh {name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cache = std::env::var_os("TAGWARDEN_IMAGE_CACHE").map_or_else(
        || PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/tagwarden/images"),
        PathBuf::from,
    );
    let digest = std::fs::read_to_string(cache.join(name).join("expected/manifest-digest"));
    digest.unwrap().trim().to_owned()
}

/// A one-layer image holding Python distributions `(name, version)` under
/// `/usr/local/lib/python3.11/site-packages`, as pip installs them.
pub(crate) fn python_image(packages: &[(&str, &str)]) -> OciImage {
    let mut builder = ImageBuilder::new();
    for (name, version) in packages {
        let path =
            format!("usr/local/lib/python3.11/site-packages/{name}-{version}.dist-info/METADATA");
        let metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        builder = builder.file(&path, metadata);
    }
    builder.build()
}
