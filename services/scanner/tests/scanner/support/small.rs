//! The small real image most tests scan: urllib3 1.26.4 and Jinja2 2.11.2
//! as pip installs them, pushed to a real registry, with the real OSV
//! records that name those two packages.

use std::path::{Path, PathBuf};

use tagwarden_testkit::{LocalRegistry, OciImage};

use super::data::{python_image, write_advisories};

/// urllib3 1.26.4's issues, by primary id.
pub(crate) const URLLIB3_CVES: [&str; 3] = ["CVE-2021-33503", "CVE-2023-43804", "CVE-2023-45803"];
/// Jinja2 2.11.2's one issue (record PYSEC-2021-66).
pub(crate) const JINJA2_CVE: &str = "CVE-2020-28493";
/// The record behind it.
pub(crate) const JINJA2_RECORD: &str = "PYSEC-2021-66";

/// A registry holding the small image as `team/app:v1`, and its digest.
pub(crate) struct SmallImage {
    pub(crate) registry: LocalRegistry,
    pub(crate) digest: String,
}

impl SmallImage {
    pub(crate) fn push() -> Self {
        let registry = LocalRegistry::start();
        let image = python_image(&[("urllib3", "1.26.4"), ("Jinja2", "2.11.2")]);
        image.push(&registry, "team/app:v1");
        let digest = image.digest();
        Self { registry, digest }
    }

    /// The digest of the image's only layer blob.
    pub(crate) fn layer_digest(image: &OciImage) -> String {
        let manifest: serde_json::Value =
            serde_json::from_slice(&image.blob(&image.digest())).unwrap();
        manifest["layers"][0]["digest"].as_str().unwrap().to_owned()
    }
}

/// The records naming urllib3 and Jinja2, except `except`, in `dir/name`.
pub(crate) fn advisories(dir: &Path, name: &str, except: &[&str]) -> PathBuf {
    let path = dir.join(name);
    write_advisories(&path, &["urllib3", "jinja2"], except);
    path
}
