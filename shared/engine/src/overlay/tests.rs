use std::collections::BTreeSet;

use super::*;
use crate::inventory::PackageKind;
use crate::layer::path::path_hash;

/// A layer writing `files` (path → packages as `name=version`), plus the
/// whiteouts, opaque directories and symlinks given.
struct Layer {
    shape: LayerShape,
    result: AnalyzerResult,
}

impl Layer {
    fn new() -> Self {
        Self {
            shape: LayerShape::default(),
            result: AnalyzerResult::default(),
        }
    }

    fn write(mut self, path: &str, record: Option<FileRecord>, dir: bool) -> Self {
        let h = path_hash(path);
        self.shape.entries.push(h);
        self.shape.entries.sort_unstable();
        if !dir {
            self.shape.non_dirs.push(h);
            self.shape.non_dirs.sort_unstable();
        }
        if let Some(record) = record {
            self.result.files.insert(path.to_owned(), record);
        }
        self
    }

    fn file(self, path: &str, packages: &[&str]) -> Self {
        let packages = packages
            .iter()
            .map(|p| {
                let (name, version) = p.split_once('=').unwrap();
                Package {
                    kind: PackageKind::Deb,
                    name: name.into(),
                    version: version.into(),
                    source_name: None,
                    source_version: None,
                    arch: None,
                    path: path.into(),
                    layer: None,
                }
            })
            .collect();
        let found = FoundInFile {
            packages,
            ..FoundInFile::default()
        };
        self.write(path, Some(FileRecord::Read(found)), false)
    }

    /// A path written but not wanted by the analyzer (no record).
    fn other(self, path: &str) -> Self {
        self.write(path, None, false)
    }

    fn whiteout(mut self, path: &str) -> Self {
        self.shape.whiteouts.insert(path.into());
        self
    }

    fn opaque(mut self, dir: &str) -> Self {
        self.shape.opaque_dirs.insert(dir.into());
        self
    }

    fn symlink(mut self, path: &str, target: &str, wanted: bool) -> Self {
        self.shape.symlinks.insert(path.into(), target.into());
        self.write(path, wanted.then_some(FileRecord::Symlink), false)
    }
}

const IDS: [&str; 5] = [
    "sha256:l0",
    "sha256:l1",
    "sha256:l2",
    "sha256:l3",
    "sha256:l4",
];

fn inventory(layers: &[Layer]) -> Inventory {
    let views: Vec<LayerView<'_>> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| LayerView {
            diff_id: IDS[i],
            shape: &l.shape,
            results: std::slice::from_ref(&l.result),
        })
        .collect();
    merge(&views, 1)
}

/// Merges and returns `name=version@layer-index path` lines, sorted.
fn merged(layers: &[Layer]) -> Vec<String> {
    let inventory = inventory(layers);
    inventory
        .packages
        .iter()
        .map(|p| {
            let layer = IDS
                .iter()
                .position(|id| Some(*id) == p.layer.as_deref())
                .unwrap();
            format!("{}={}@{layer} {}", p.name, p.version, p.path)
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

const STATUS: &str = "/var/lib/dpkg/status";

#[test]
fn rewriting_a_database_keeps_the_older_attribution() {
    let layers = [
        Layer::new().file(STATUS, &["libc6=1", "e2fsprogs=1", "bash=5"]),
        Layer::new().other("/usr/bin/python3"),
        Layer::new().file(STATUS, &["libc6=1", "e2fsprogs=1", "bash=5", "curl=8"]),
        Layer::new().file(STATUS, &["libc6=2", "bash=5", "curl=8"]),
    ];
    assert_eq!(
        merged(&layers),
        [
            "bash=5@0 /var/lib/dpkg/status",
            "curl=8@2 /var/lib/dpkg/status",
            "libc6=2@3 /var/lib/dpkg/status",
        ]
    );
}

#[test]
fn whiteouts_and_parents_delete_files() {
    let site = "/usr/lib/python3/site-packages";
    let layers = [
        Layer::new()
            .file(&format!("{site}/a.dist-info/METADATA"), &["a=1"])
            .file(&format!("{site}/b.dist-info/METADATA"), &["b=1"])
            .file("/opt/app/c.dist-info/METADATA", &["c=1"]),
        Layer::new()
            .whiteout(&format!("{site}/a.dist-info"))
            .whiteout(&format!("{site}/b.dist-info/METADATA"))
            .other("/opt/app"),
    ];
    assert_eq!(merged(&layers), Vec::<String>::new());
}

#[test]
fn a_file_deleted_and_written_again_belongs_to_the_later_layer() {
    let layers = [
        Layer::new().file(STATUS, &["a=1"]),
        Layer::new().whiteout(STATUS),
        Layer::new().file(STATUS, &["a=1"]),
    ];
    assert_eq!(merged(&layers), ["a=1@2 /var/lib/dpkg/status"]);
}

#[test]
fn opaque_directories_hide_lower_contents_only() {
    let layers = [
        Layer::new()
            .file("/app/x/package.json", &["x=1"])
            .file("/app/y/package.json", &["y=1"]),
        Layer::new()
            .opaque("/app")
            .file("/app/y/package.json", &["y=1"]),
    ];
    assert_eq!(merged(&layers), ["y=1@1 /app/y/package.json"]);
}

#[test]
fn a_file_replaced_by_one_not_analyzed_is_gone() {
    let layers = [
        Layer::new().file(STATUS, &["a=1"]),
        Layer::new().other(STATUS),
    ];
    assert_eq!(merged(&layers), Vec::<String>::new());
}

#[test]
fn symlinks_are_followed_in_the_final_filesystem() {
    let layers = [
        Layer::new()
            .file("/usr/lib/db", &["a=1"])
            .symlink("/etc/db", "../usr/lib/db", true),
        Layer::new()
            .symlink("/var/lib/dpkg", "/usr/lib", false)
            .symlink(STATUS, "x", true),
    ];
    // /etc/db → /usr/lib/db (read); /var/lib/dpkg/status is reached through
    // the parent link to /usr/lib, where no status exists: a warning.
    let inventory = inventory(&layers);
    assert_eq!(inventory.packages.len(), 1);
    assert_eq!(inventory.packages[0].path, "/usr/lib/db");
    assert_eq!(
        inventory.warnings,
        ["/var/lib/dpkg/status links to /usr/lib/status, which is missing or was not read"]
    );
}

#[test]
fn os_comes_from_the_most_trusted_file_still_present() {
    let os = |id: &str| {
        FileRecord::Read(FoundInFile {
            os: Some(OsRelease {
                id: id.into(),
                ..OsRelease::default()
            }),
            ..FoundInFile::default()
        })
    };
    let base = || {
        Layer::new()
            .write("/etc/debian_version", Some(os("debian")), false)
            .write("/etc/os-release", Some(os("ubuntu")), false)
    };
    assert_eq!(inventory(&[base()]).os.unwrap().id, "ubuntu");
    let deleted = [base(), Layer::new().whiteout("/etc/os-release")];
    assert_eq!(inventory(&deleted).os.unwrap().id, "debian");
}
