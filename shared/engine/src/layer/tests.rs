use std::io::Write;

use sha2::{Digest as _, Sha256};

use super::*;
use crate::analyzers::{DpkgAnalyzer, OsReleaseAnalyzer};

const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const STATUS: &[u8] = b"Package: a\nStatus: install ok installed\nVersion: 1\n";

/// A tar built entry by entry; names are written raw, so tests can make
/// entries that the `tar` crate's safe setters would refuse.
struct TarBuilder(tar::Builder<Vec<u8>>);

impl TarBuilder {
    fn new() -> Self {
        Self(tar::Builder::new(Vec::new()))
    }

    fn entry(mut self, kind: tar::EntryType, name: &str, link: &str, data: &[u8]) -> Self {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_cksum();
        self.0.append(&header, data).unwrap();
        self
    }

    fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(tar::EntryType::Regular, name, "", data)
    }

    fn dir(self, name: &str) -> Self {
        self.entry(tar::EntryType::Directory, name, "", b"")
    }

    fn symlink(self, name: &str, target: &str) -> Self {
        self.entry(tar::EntryType::Symlink, name, target, b"")
    }

    fn hard_link(self, name: &str, target: &str) -> Self {
        self.entry(tar::EntryType::Link, name, target, b"")
    }

    fn build(self) -> Vec<u8> {
        self.0.into_inner().unwrap()
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn analyze(blob: &[u8], media_type: &str, verify: Option<&str>) -> Result<LayerOutput, LayerError> {
    let spec = BlobSpec {
        media_type,
        verify,
        max_file: 1024,
    };
    analyze_blob(blob, spec, &[&OsReleaseAnalyzer, &DpkgAnalyzer])
}

#[test]
fn records_shape_and_reads_only_wanted_files() {
    let tar = TarBuilder::new()
        .dir("./etc/")
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file("usr/lib/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", STATUS)
        .file("var/lib/dpkg/.wh.status-old", b"")
        .file("opt/.wh..wh..opq", b"")
        .file("etc/hostname", b"x")
        .build();
    let blob = gzip(&tar);
    let out = analyze(&blob, GZIP, Some(&sha256(&blob))).unwrap();
    assert_eq!(out.diff_id, sha256(&tar));
    assert_eq!(
        out.shape.whiteouts,
        BTreeSet::from(["/var/lib/dpkg/status-old".to_owned()])
    );
    assert_eq!(out.shape.opaque_dirs, BTreeSet::from(["/opt".to_owned()]));
    assert_eq!(
        out.shape.symlinks["/etc/os-release"],
        "../usr/lib/os-release"
    );
    assert!(out.shape.writes("/etc") && out.shape.writes("/etc/hostname"));
    assert!(!out.shape.writes("/var/lib/dpkg/status-old"));
    assert!(out.shape.hides_below("/opt/x/y") && out.shape.hides_below("/var/lib/dpkg/status-old"));
    assert!(!out.shape.hides_below("/etc/passwd"));

    let os = &out.results[0].files;
    assert_eq!(os["/etc/os-release"], FileRecord::Symlink);
    let FileRecord::Read(found) = &os["/usr/lib/os-release"] else {
        panic!("{os:?}")
    };
    assert_eq!(found.os.as_ref().unwrap().version_id.as_deref(), Some("12"));
    let dpkg = &out.results[1].files;
    assert_eq!(dpkg.len(), 1);
    let FileRecord::Read(found) = &dpkg["/var/lib/dpkg/status"] else {
        panic!("{dpkg:?}")
    };
    assert_eq!(found.packages[0].path, "/var/lib/dpkg/status");
}

#[test]
fn zstd_and_plain_layers() {
    let tar = TarBuilder::new()
        .file("var/lib/dpkg/status", STATUS)
        .build();
    let zstd = zstd::encode_all(&tar[..], 3).unwrap();
    for (blob, media_type) in [(&zstd, ZSTD), (&tar, TAR), (&tar, "")] {
        let out = analyze(blob, media_type, Some(&sha256(blob))).unwrap();
        assert_eq!(out.diff_id, sha256(&tar), "{media_type}");
        assert_eq!(out.results[1].files.len(), 1);
    }
}

#[test]
fn hard_links_share_what_their_target_gave() {
    let tar = TarBuilder::new()
        .file("usr/lib/os-release", b"ID=alpine\n")
        .hard_link("etc/os-release", "usr/lib/os-release")
        .hard_link("var/lib/dpkg/status", "usr/lib/os-release")
        .build();
    let out = analyze(&tar, TAR, None).unwrap();
    assert!(matches!(
        out.results[0].files["/etc/os-release"],
        FileRecord::Read(_)
    ));
    assert_eq!(
        out.results[1].files["/var/lib/dpkg/status"],
        FileRecord::HardLink {
            target: "/usr/lib/os-release".into()
        }
    );
}

#[test]
fn large_files_are_skipped_with_a_warning() {
    let tar = TarBuilder::new()
        .file("var/lib/dpkg/status", &[b'x'; 2000])
        .build();
    let out = analyze(&tar, TAR, None).unwrap();
    let FileRecord::Skipped { warning } = &out.results[1].files["/var/lib/dpkg/status"] else {
        panic!()
    };
    assert!(warning.contains("2000 bytes"), "{warning}");
}

#[test]
fn entries_escaping_the_root_are_refused() {
    let cases = [
        TarBuilder::new().file("../evil", b"x").build(),
        TarBuilder::new().file("a/../../evil", b"x").build(),
        TarBuilder::new().hard_link("x", "/etc/shadow").build(),
        TarBuilder::new().hard_link("x", "../etc/shadow").build(),
        TarBuilder::new()
            .symlink("etc/x", "../../etc/shadow")
            .build(),
    ];
    for tar in cases {
        match analyze(&tar, TAR, None) {
            Err(LayerError::Escape { entry, .. }) => {
                assert!(["../evil", "a/../../evil", "x", "etc/x"].contains(&entry.as_str()))
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn truncated_gzip_is_reported_as_truncated() {
    let tar = TarBuilder::new()
        .file("var/lib/dpkg/status", &[b'a'; 900])
        .build();
    let blob = gzip(&tar);
    let cut = &blob[..blob.len() / 2];
    match analyze(cut, GZIP, Some(&sha256(cut))) {
        Err(LayerError::Corrupt(detail)) => assert!(detail.contains("truncated"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn digest_mismatch_wins_over_corruption() {
    let blob = gzip(&TarBuilder::new().file("a", b"x").build());
    let wrong = sha256(b"something else");
    match analyze(&blob[..blob.len() - 3], GZIP, Some(&wrong)) {
        Err(LayerError::BlobDigest { expected, .. }) => assert_eq!(expected, wrong),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mislabelled_and_unknown_media_types() {
    let tar = TarBuilder::new().file("a", b"x").build();
    match analyze(&tar, GZIP, None) {
        Err(LayerError::Corrupt(detail)) => {
            assert!(
                detail.contains("says gzip but the blob starts like uncompressed tar"),
                "{detail}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        analyze(&tar, "application/vnd.oci.image.layer.v1.tar+bzip2", None),
        Err(LayerError::UnsupportedMediaType(_))
    ));
}
