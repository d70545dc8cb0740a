use std::io::Write;
use std::path::Path;
use std::process::Command;

use flate2::Compression;
use flate2::write::ZlibEncoder;

use super::*;

fn analyze(path: &str, contents: &[u8]) -> Vec<(String, String)> {
    RustAnalyzer
        .analyze(&FileInput { path, contents })
        .expect("analyzes")
        .packages
        .into_iter()
        .inspect(|p| assert_eq!((p.kind, p.path.as_str()), (PackageKind::Cargo, path)))
        .map(|p| (p.name, p.version))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Resolved by `cargo generate-lockfile` (Cargo 1.95, which writes v3 for
/// `rust-version = "1.70"`) for a crate pinning `smallvec = "=1.6.0"`,
/// `regex = "=1.5.4"`, `time = "=0.1.43"` plus a path dependency `helper`
/// that is also a workspace member.
const LOCKTEST_V3: &str = include_str!("testdata/locktest-v3.Cargo.lock");

#[test]
fn reads_a_v3_lock_file_resolved_by_cargo() {
    assert_eq!(
        analyze("/src/Cargo.lock", LOCKTEST_V3.as_bytes()),
        pairs(&[
            ("aho-corasick", "0.7.20"),
            ("helper", "0.2.0"),
            ("libc", "0.2.191"),
            ("locktest", "0.1.0"),
            ("memchr", "2.8.3"),
            ("regex", "1.5.4"),
            ("regex-syntax", "0.6.29"),
            ("smallvec", "1.6.0"),
            ("time", "0.1.43"),
            ("winapi", "0.3.9"),
            ("winapi-i686-pc-windows-gnu", "0.4.0"),
            ("winapi-x86_64-pc-windows-gnu", "0.4.0"),
        ])
    );
}

#[test]
fn reads_trivys_v4_lock_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata/fixtures/trivy/integration/repo/cargo/Cargo.lock"
    );
    let text = std::fs::read(path).expect("vulndata fixtures are checked out beside the repo");
    assert_eq!(
        analyze("/app/Cargo.lock", &text),
        pairs(&[
            ("aho-corasick", "0.7.20"),
            ("app", "0.1.0"),
            ("libc", "0.2.171"),
            ("memchr", "1.0.2"),
            ("memchr", "2.7.4"),
            ("regex", "1.7.3"),
            ("regex-syntax", "0.6.29"),
            ("winapi", "0.3.9"),
            ("winapi-i686-pc-windows-gnu", "0.4.0"),
            ("winapi-x86_64-pc-windows-gnu", "0.4.0"),
        ])
    );
}

/// Cargo before 1.41 wrote checksums into a `[metadata]` table (v1); from
/// 1.41 to 1.52 it wrote them inline without a `version` key (v2). Both
/// are hand-written in those shapes; the checksums are not real.
#[test]
fn reads_v1_and_v2_lock_files() {
    let v1 = r#"[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "smallvec 0.6.9 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "smallvec"
version = "0.6.9"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum smallvec 0.6.9 (registry+https://github.com/rust-lang/crates.io-index)" = "c4488ae950c49d403731982257768f48fada354a5203fe81f9bb6f43ca9002be"
"#;
    let v2 = r#"[[package]]
name = "smallvec"
version = "1.4.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "c7cb5678e1615754284ec264d9bb5b4c27d2018577fd90ac0ceb578591ed5ee4"
"#;
    assert_eq!(
        analyze("/Cargo.lock", v1.as_bytes()),
        pairs(&[("app", "0.1.0"), ("smallvec", "0.6.9")])
    );
    assert_eq!(
        analyze("/Cargo.lock", v2.as_bytes()),
        pairs(&[("smallvec", "1.4.0")])
    );
}

#[test]
fn broken_lock_files_are_errors() {
    let err = RustAnalyzer
        .analyze(&FileInput {
            path: "/Cargo.lock",
            contents: b"[[package]]\nname = 1\n",
        })
        .expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("rust could not read /Cargo.lock: "),
        "{err}"
    );
}

#[test]
fn wants_lock_files_and_executables() {
    let meta = |path, size, mode| FileMeta { path, size, mode };
    for (path, size, mode, want) in [
        ("/app/Cargo.lock", 100, 0o644, true),
        (
            "/root/.cargo/registry/src/index.crates.io-1/ripgrep-14.1.0/Cargo.lock",
            100,
            0o644,
            false,
        ),
        ("/root/.cargo/git/checkouts/x/Cargo.lock", 100, 0o644, false),
        ("/usr/local/bin/app", 1 << 20, 0o755, true),
        ("/usr/local/bin/app", 1 << 20, 0o644, false),
        ("/usr/local/bin/tiny", 1024, 0o755, false),
    ] {
        assert_eq!(RustAnalyzer.wants(&meta(path, size, mode)), want, "{path}");
    }
}

/// The JSON cargo-auditable 0.7.7 embedded in a release build of the
/// lock file test crate above (taken from its `.dep-v0` section).
const LOCKTEST_DEP_V0: &str = r#"{"packages":[{"name":"aho-corasick","version":"0.7.20","source":"crates.io","dependencies":[4]},{"name":"helper","version":"0.2.0","source":"local"},{"name":"libc","version":"0.2.191","source":"crates.io"},{"name":"locktest","version":"0.1.0","source":"local","dependencies":[1,5,7,8],"root":true},{"name":"memchr","version":"2.8.3","source":"crates.io"},{"name":"regex","version":"1.5.4","source":"crates.io","dependencies":[0,4,6]},{"name":"regex-syntax","version":"0.6.29","source":"crates.io"},{"name":"smallvec","version":"1.6.0","source":"crates.io"},{"name":"time","version":"0.1.43","source":"crates.io","dependencies":[2]}],"format":1}"#;

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

#[test]
fn parses_a_dep_v0_section() {
    let crates = auditable::parse_section(&zlib(LOCKTEST_DEP_V0.as_bytes())).expect("parses");
    let names: Vec<_> = crates
        .iter()
        .map(|c| (c.name.as_str(), c.version.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("aho-corasick", "0.7.20"),
            ("helper", "0.2.0"),
            ("libc", "0.2.191"),
            ("locktest", "0.1.0"),
            ("memchr", "2.8.3"),
            ("regex", "1.5.4"),
            ("regex-syntax", "0.6.29"),
            ("smallvec", "1.6.0"),
            ("time", "0.1.43"),
        ]
    );
    assert!(crates.iter().all(|c| !c.is_build_only()));
    assert_eq!(
        auditable::parse_section(b"not zlib").map(|_| ()),
        Err(".dep-v0 section is not zlib data: corrupt deflate stream".to_owned())
    );
}

/// A crate `app` with a path dependency `helper` and a build dependency
/// `gen`, all local so it builds offline.
const AUDITED_PROJECT: [(&str, &str); 7] = [
    (
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.3.1\"\nedition = \"2021\"\n\n\
         [dependencies]\nhelper = { path = \"helper\" }\n\n\
         [build-dependencies]\ngen = { path = \"gen\" }\n\n[workspace]\n",
    ),
    (
        "src/main.rs",
        "fn main() { println!(\"{}\", helper::X); }\n",
    ),
    ("build.rs", "fn main() { gen::run(); }\n"),
    (
        "helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"1.0.2\"\nedition = \"2021\"\n",
    ),
    ("helper/src/lib.rs", "pub const X: u8 = 1;\n"),
    (
        "gen/Cargo.toml",
        "[package]\nname = \"gen\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    ),
    ("gen/src/lib.rs", "pub fn run() {}\n"),
];

/// Builds the project with `cargo auditable`; `None` when it is not
/// installed.
fn build_audited(dir: &Path) -> Option<Vec<u8>> {
    for (file, text) in AUDITED_PROJECT {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let out = Command::new("cargo")
        .current_dir(dir)
        .args(["auditable", "build", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("no such command") {
        return None;
    }
    assert!(out.status.success(), "{stderr}");
    Some(std::fs::read(dir.join("target/debug/app")).expect("built binary"))
}

#[test]
fn reads_a_binary_built_by_cargo_auditable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(binary) = build_audited(dir.path()) else {
        eprintln!("cargo auditable not installed; real binary test skipped");
        return;
    };
    // `gen` is a build dependency: listed in the section, not in the binary.
    let listed = auditable::read(&binary)
        .expect("reads")
        .expect("has .dep-v0");
    assert_eq!(listed.iter().filter(|c| c.is_build_only()).count(), 1);
    assert_eq!(
        analyze("/usr/local/bin/app", &binary),
        pairs(&[("app", "0.3.1"), ("helper", "1.0.2")])
    );
}

#[test]
fn binaries_without_a_dependency_list_give_nothing() {
    assert_eq!(analyze("/usr/local/bin/x", b"#!/bin/sh\n"), pairs(&[]));
    if let Ok(ls) = std::fs::read("/bin/ls") {
        assert_eq!(analyze("/bin/ls", &ls), pairs(&[]));
    }
}
