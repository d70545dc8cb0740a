//! The demo images, built by `infra/images/build.sh` (cached under
//! `~/.cache/tagwarden/images`, rebuilt only when a recipe changed) and
//! pushed with `infra/images/push.sh`, which keeps their digests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where build.sh keeps images (its own default, or the override).
fn image_cache() -> PathBuf {
    match std::env::var_os("TAGWARDEN_IMAGE_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(&std::env::var_os("HOME").expect("HOME is set"))
            .join(".cache/tagwarden/images"),
    }
}

/// Pushes each `(image, "repository:tag")` to `registry` (building what is
/// missing first) and returns the digests the registry now serves, in the
/// same order. Each must be the digest recorded when the image was built.
pub(crate) fn push(registry: &str, images: &[(&str, &str)]) -> Vec<String> {
    let specs: Vec<String> = images
        .iter()
        .map(|(name, to)| format!("{name}={to}"))
        .collect();
    let output = tokio::task::block_in_place(|| {
        Command::new(repo().join("infra/images/push.sh"))
            .arg(registry)
            .args(&specs)
            .output()
            .expect("run infra/images/push.sh")
    });
    assert!(
        output.status.success(),
        "infra/images/push.sh {registry} {specs:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // One line per push: "REGISTRY/REPO:TAG DIGEST".
    let stdout = String::from_utf8_lossy(&output.stdout);
    let digests: Vec<String> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(str::to_owned)
        .collect();
    assert_eq!(digests.len(), images.len(), "push.sh printed:\n{stdout}");
    for ((name, _), digest) in images.iter().zip(&digests) {
        assert_eq!(
            *digest,
            manifest_digest(name),
            "{name} was pushed with another digest"
        );
    }
    digests
}

/// The manifest digest build.sh recorded for image `name`.
pub(crate) fn manifest_digest(name: &str) -> String {
    let path = image_cache().join(name).join("expected/manifest-digest");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_owned()
}

/// The real OSV advisories (`../shared/vulndata/osv` next to the clone).
pub(crate) fn advisories() -> PathBuf {
    let dir = repo().join("../shared/vulndata/osv");
    assert!(
        dir.is_dir(),
        "the end-to-end test needs the OSV advisories in {} (see DESIGN.md, Running it)",
        dir.display()
    );
    dir.canonicalize().unwrap()
}
