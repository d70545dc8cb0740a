//! Real OCI images built with `umoci`, pushed and saved with `skopeo`.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::command::run;
use crate::registry::LocalRegistry;

/// The tag every built image has inside its layout.
const TAG: &str = "image";

/// Builds a small real image, layer by layer, from files.
///
/// ```no_run
/// use tagwarden_testkit::ImageBuilder;
/// let image = ImageBuilder::new()
///     .file("etc/os-release", "ID=debian\n")
///     .layer()
///     .remove("etc/os-release") // a whiteout in the second layer
///     .file("hello.txt", "hi")
///     .build();
/// ```
#[derive(Debug)]
pub struct ImageBuilder {
    work: TempDir,
    pending: bool,
    platform: Option<(String, String)>,
}

/// An OCI image layout on disk holding one image (or index) under one tag.
#[derive(Debug)]
pub struct OciImage {
    _work: TempDir,
    layout: PathBuf,
    is_index: bool,
}

/// The manifest format `skopeo` writes when pushing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushFormat {
    /// As built: OCI manifest (or index) and OCI media types.
    Oci,
    /// Docker image manifest v2 schema 2 (`--format v2s2`).
    DockerV2S2,
    /// Docker schema 1, signed (`--format v2s1`); the registry must have
    /// [`RegistryOptions::accept_schema1`](crate::RegistryOptions) on.
    DockerV2S1,
}

impl Default for ImageBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ImageBuilder {
    /// An empty image, unpacked and ready for files.
    pub fn new() -> Self {
        let work = tempfile::tempdir().expect("temporary directory");
        let layout = work.path().join("layout");
        let bundle = work.path().join("bundle");
        let (image, bundle) = (image_arg(&layout), path(&bundle));
        run("umoci", ["init", "--layout", &path(&layout)]);
        run("umoci", ["new", "--image", &image]);
        run(
            "umoci",
            ["unpack", "--rootless", "--image", &image, &bundle],
        );
        Self {
            work,
            pending: false,
            platform: None,
        }
    }

    /// The root filesystem being built, for writing anything the helpers
    /// below do not cover; call [`ImageBuilder::layer`] afterwards.
    pub fn rootfs(&self) -> PathBuf {
        self.work.path().join("bundle/rootfs")
    }

    /// Writes a file (parents created). `path` is relative to the root.
    pub fn file(mut self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        let target = self.target(path);
        fs::write(&target, contents).unwrap_or_else(|e| panic!("write {path}: {e}"));
        self.pending = true;
        self
    }

    /// Creates a symbolic link at `path` pointing to `target`.
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let link = self.target(path);
        symlink(target, &link).unwrap_or_else(|e| panic!("symlink {path}: {e}"));
        self.pending = true;
        self
    }

    /// Copies the contents of directory `src` into the root (`cp -a`).
    pub fn copy_dir(mut self, src: &Path) -> Self {
        let from = format!("{}/.", src.display());
        run("cp", ["-a", &from, &path(&self.rootfs())]);
        self.pending = true;
        self
    }

    /// Deletes a file or directory; the next layer records a whiteout.
    pub fn remove(mut self, path: &str) -> Self {
        let target = self.rootfs().join(path.trim_start_matches('/'));
        let removed = if target.is_dir() && !target.is_symlink() {
            fs::remove_dir_all(&target)
        } else {
            fs::remove_file(&target)
        };
        removed.unwrap_or_else(|e| panic!("remove {path}: {e}"));
        self.pending = true;
        self
    }

    /// Commits the changes so far as one layer.
    pub fn layer(mut self) -> Self {
        let image = image_arg(&self.work.path().join("layout"));
        let bundle = path(&self.work.path().join("bundle"));
        run(
            "umoci",
            ["repack", "--refresh-bundle", "--image", &image, &bundle],
        );
        self.pending = false;
        self
    }

    /// Sets the OS and architecture in the image config (default: umoci's,
    /// the machine's own).
    pub fn platform(mut self, os: &str, architecture: &str) -> Self {
        self.platform = Some((os.to_owned(), architecture.to_owned()));
        self
    }

    /// Commits any pending changes and returns the finished layout.
    pub fn build(self) -> OciImage {
        let this = if self.pending { self.layer() } else { self };
        let layout = this.work.path().join("layout");
        if let Some((os, arch)) = &this.platform {
            let image = image_arg(&layout);
            run(
                "umoci",
                [
                    "config",
                    "--image",
                    &image,
                    "--os",
                    os,
                    "--architecture",
                    arch,
                ],
            );
        }
        run("umoci", ["gc", "--layout", &path(&layout)]);
        OciImage {
            _work: this.work,
            layout,
            is_index: false,
        }
    }

    fn target(&self, path: &str) -> PathBuf {
        let target = self.rootfs().join(path.trim_start_matches('/'));
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir for {path}: {e}"));
        }
        target
    }
}

impl OciImage {
    pub(crate) fn from_layout(work: TempDir, layout: PathBuf, is_index: bool) -> Self {
        Self {
            _work: work,
            layout,
            is_index,
        }
    }

    /// The OCI layout directory (`oci-layout`, `index.json`, `blobs/`).
    pub fn layout_dir(&self) -> &Path {
        &self.layout
    }

    /// The tag of the image inside the layout.
    pub fn tag(&self) -> &str {
        TAG
    }

    /// `oci:DIR:TAG`, the reference skopeo and other tools take.
    pub fn oci_reference(&self) -> String {
        format!("oci:{}", image_arg(&self.layout))
    }

    /// The image's manifest (or index) descriptor from `index.json`:
    /// `(media type, digest, size)`.
    pub fn descriptor(&self) -> (String, String, u64) {
        let index: serde_json::Value =
            serde_json::from_slice(&fs::read(self.layout.join("index.json")).expect("index.json"))
                .expect("index.json is JSON");
        let entry = index["manifests"]
            .as_array()
            .and_then(|m| {
                m.iter()
                    .find(|e| e["annotations"]["org.opencontainers.image.ref.name"] == TAG)
            })
            .expect("tagged manifest in index.json");
        let text = |k: &str| entry[k].as_str().expect("descriptor field").to_owned();
        (
            text("mediaType"),
            text("digest"),
            entry["size"].as_u64().expect("size"),
        )
    }

    /// The manifest (or index) digest. An [`PushFormat::Oci`] push keeps it.
    pub fn digest(&self) -> String {
        self.descriptor().1
    }

    /// Reads a blob of the layout by digest.
    pub fn blob(&self, digest: &str) -> Vec<u8> {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        fs::read(self.layout.join("blobs/sha256").join(hex)).expect("blob in layout")
    }

    /// Pushes to `registry` as `repo:tag`, in OCI format.
    pub fn push(&self, registry: &LocalRegistry, repo_tag: &str) {
        self.push_as(registry, repo_tag, PushFormat::Oci);
    }

    /// Pushes to `registry` as `repo:tag` in `format`. An index is pushed
    /// with all its images (`skopeo copy --all`).
    pub fn push_as(&self, registry: &LocalRegistry, repo_tag: &str, format: PushFormat) {
        let mut args = vec!["copy".to_owned(), "--dest-tls-verify=false".to_owned()];
        if let Some((user, password)) = registry.basic_auth() {
            args.push(format!("--dest-creds={user}:{password}"));
        }
        match format {
            PushFormat::Oci => {}
            PushFormat::DockerV2S2 => args.extend(["--format".to_owned(), "v2s2".to_owned()]),
            PushFormat::DockerV2S1 => args.extend(["--format".to_owned(), "v2s1".to_owned()]),
        }
        if self.is_index {
            args.push("--all".to_owned());
        }
        args.push(self.oci_reference());
        args.push(format!("docker://{}/{repo_tag}", registry.host()));
        run("skopeo", args);
    }

    /// Writes a `docker save`-style tarball naming the image `repo:tag`.
    pub fn save_docker_archive(&self, file: &Path, repo_tag: &str) {
        let target = format!("docker-archive:{}:{repo_tag}", file.display());
        run("skopeo", ["copy", &self.oci_reference(), &target]);
    }
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn image_arg(layout: &Path) -> String {
    format!("{}:{TAG}", layout.display())
}
