use std::path::Path;
use std::process::Command;

use super::modinfo::{self, ModInfo, Module};
use super::*;

const BIN: &str = "/usr/local/bin/app";

fn analyze(contents: &[u8]) -> Result<Findings, AnalyzeError> {
    GoBinaryAnalyzer.analyze(&FileInput {
        path: BIN,
        contents,
    })
}

fn go(name: &str, version: &str) -> Package {
    go_package(name, version.to_owned(), BIN)
}

fn module(path: &str, version: &str, replace: Option<Module>) -> Module {
    Module {
        path: path.to_owned(),
        version: version.to_owned(),
        replace: replace.map(Box::new),
    }
}

/// The module text Go 1.19.8 embedded in the test binary below, with its
/// sentinels and the empty line it writes after each replacement.
const MODINFO_1_19: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6\
path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
dep\texample.com/greet\tv1.2.3\t\ndep\texample.com/local\tv0.0.0\n=>\t./local\t(devel)\t\n\n\
dep\texample.com/orig\tv1.0.0\n=>\texample.com/fork\tv1.0.1\t\n\n\
build\t-compiler=gc\nbuild\tCGO_ENABLED=1\n\
\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

fn expected_modinfo() -> ModInfo {
    ModInfo {
        main: Some(module("example.com/app", "(devel)", None)),
        deps: vec![
            module("example.com/greet", "v1.2.3", None),
            module(
                "example.com/local",
                "v0.0.0",
                Some(module("./local", "(devel)", None)),
            ),
            module(
                "example.com/orig",
                "v1.0.0",
                Some(module("example.com/fork", "v1.0.1", None)),
            ),
        ],
    }
}

/// The packages the test program must give, after the toolchain's.
fn expected_modules() -> Vec<Package> {
    vec![
        go("example.com/app", ""),
        go("example.com/greet", "v1.2.3"),
        go("example.com/local", ""),
        go("example.com/fork", "v1.0.1"),
    ]
}

#[test]
fn parses_module_lines() {
    assert_eq!(modinfo::parse(MODINFO_1_19), expected_modinfo());
}

#[test]
fn stdlib_versions_are_semver_with_a_v() {
    for (toolchain, want) in [
        ("go1.19.8", "v1.19.8"),
        ("go1.20", "v1.20.0"),
        ("go1.22rc1", "v1.22.0-rc.1"),
        ("go1.21.3 X:boringcrypto", "v1.21.3"),
        ("devel go1.23-abcdef Tue", "devel go1.23-abcdef Tue"),
    ] {
        assert_eq!(stdlib_version(toolchain), want, "{toolchain}");
    }
}

#[test]
fn wants_large_executables_only() {
    let meta = |size, mode| FileMeta {
        path: BIN,
        size,
        mode,
    };
    assert!(GoBinaryAnalyzer.wants(&meta(2 << 20, 0o755)));
    assert!(!GoBinaryAnalyzer.wants(&meta(2 << 20, 0o644)));
    assert!(!GoBinaryAnalyzer.wants(&meta(4096, 0o755)));
}

#[test]
fn files_that_are_not_go_binaries_give_nothing() {
    assert_eq!(
        analyze(b"#!/bin/sh\necho hi\n").expect("reads"),
        Findings::default()
    );
    let cut_off_elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0";
    assert_eq!(analyze(cut_off_elf).expect("reads"), Findings::default());
    // A real ELF binary of this machine, written in C.
    if let Ok(ls) = std::fs::read("/bin/ls") {
        assert_eq!(analyze(&ls).expect("reads"), Findings::default());
    }
}

/// A Go binary from before Go 1.18: the header points at Go string
/// headers elsewhere in the binary. Built by hand as a minimal ELF with one
/// writable segment and no section headers.
#[test]
fn reads_the_pointer_format_of_older_binaries() {
    const BASE: u64 = 0x40_0000;
    let mut elf = vec![0u8; 128];
    elf[..16].copy_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    elf[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86-64
    elf[20..24].copy_from_slice(&1u32.to_le_bytes());
    elf[32..40].copy_from_slice(&64u64.to_le_bytes()); // program headers
    elf[52..54].copy_from_slice(&64u16.to_le_bytes());
    elf[54..56].copy_from_slice(&56u16.to_le_bytes());
    elf[56..58].copy_from_slice(&1u16.to_le_bytes());
    elf[58..60].copy_from_slice(&64u16.to_le_bytes());

    let version = b"go1.16.15";
    let modinfo = MODINFO_1_19;
    // Header at 128, string headers at 160 and 176, strings from 192.
    let strings_at = BASE + 192;
    elf.extend(b"\xff Go buildinf:\x08\x00");
    let words = [
        BASE + 160,
        BASE + 176,
        strings_at,
        version.len() as u64,
        strings_at + version.len() as u64,
        modinfo.len() as u64,
    ];
    for word in words {
        elf.extend(word.to_le_bytes());
    }
    elf.extend(version);
    elf.extend(modinfo);

    let len = elf.len() as u64;
    let mut phdr = Vec::new();
    phdr.extend(1u32.to_le_bytes()); // PT_LOAD
    phdr.extend(6u32.to_le_bytes()); // PF_R | PF_W
    for word in [0, BASE, BASE, len, len, 0x1000] {
        phdr.extend(word.to_le_bytes());
    }
    elf[64..120].copy_from_slice(&phdr);

    let findings = analyze(&elf).expect("reads");
    let mut want = vec![go("stdlib", "v1.16.15")];
    want.extend(expected_modules());
    assert_eq!(findings.packages, want);
}

/// The test program: a main module with a vendored dependency, one
/// replaced by a local directory and one replaced by another module.
const PROGRAM: [(&str, &str); 8] = [
    (
        "go.mod",
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/greet v1.2.3\n\
         \texample.com/local v0.0.0\n\texample.com/orig v1.0.0\n)\n\n\
         replace example.com/local => ./local\n\n\
         replace example.com/orig => example.com/fork v1.0.1\n",
    ),
    (
        "main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n\t\"example.com/local\"\n\
         \t\"example.com/orig\"\n)\n\nfunc main() { fmt.Println(greet.Hello(), local.Name, orig.X) }\n",
    ),
    ("local/go.mod", "module example.com/local\n\ngo 1.19\n"),
    (
        "local/local.go",
        "package local\n\nconst Name = \"local\"\n",
    ),
    (
        "vendor/example.com/local/local.go",
        "package local\n\nconst Name = \"local\"\n",
    ),
    (
        "vendor/example.com/greet/greet.go",
        "package greet\n\nfunc Hello() string { return \"hi\" }\n",
    ),
    (
        "vendor/example.com/orig/orig.go",
        "package orig\n\nconst X = 1\n",
    ),
    (
        "vendor/modules.txt",
        "# example.com/greet v1.2.3\n## explicit\nexample.com/greet\n\
         # example.com/local v0.0.0 => ./local\n## explicit\nexample.com/local\n\
         # example.com/orig v1.0.0 => example.com/fork v1.0.1\n## explicit\nexample.com/orig\n\
         # example.com/local => ./local\n# example.com/orig => example.com/fork v1.0.1\n",
    ),
];

/// Builds the program with the machine's Go toolchain, offline (the
/// dependencies are vendored); `None` when Go is not installed.
fn build_program(dir: &Path, ldflags: &str) -> Option<std::path::PathBuf> {
    for (file, text) in PROGRAM {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let binary = dir.join("app");
    let out = Command::new("go")
        .current_dir(dir)
        .args(["build", "-trimpath", "-ldflags", ldflags, "-o"])
        .arg(&binary)
        .arg(".")
        .env("GOFLAGS", "-mod=vendor")
        .env("GOPROXY", "off")
        .env("GOWORK", "off")
        .env(
            "GOCACHE",
            std::env::temp_dir().join("tagwarden-test-gocache"),
        )
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(binary)
}

/// What `go version -m` prints, split into the toolchain and the module
/// lines (`mod`, `dep`, `=>`) as tab-separated fields without sums.
fn go_version_m(binary: &Path) -> (String, Vec<String>) {
    let out = Command::new("go")
        .arg("version")
        .arg("-m")
        .arg(binary)
        .output()
        .expect("go runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let first = lines.next().expect("a first line");
    let toolchain = first.rsplit(": ").next().expect("toolchain").to_owned();
    let modules = lines
        .map(|line| line.trim_start_matches('\t'))
        .filter(|line| {
            ["mod\t", "dep\t", "=>\t"]
                .iter()
                .any(|k| line.starts_with(k))
        })
        .map(|line| line.split('\t').take(3).collect::<Vec<_>>().join("\t"))
        .collect();
    (toolchain, modules)
}

/// Our module lines in the same shape as [`go_version_m`]'s.
fn our_lines(info: &ModInfo) -> Vec<String> {
    let mut lines = Vec::new();
    let mut push = |kind: &str, m: &Module| {
        lines.push(format!("{kind}\t{}\t{}", m.path, m.version));
        if let Some(r) = &m.replace {
            lines.push(format!("=>\t{}\t{}", r.path, r.version));
        }
    };
    info.main.iter().for_each(|m| push("mod", m));
    info.deps.iter().for_each(|m| push("dep", m));
    lines
}

#[test]
fn reads_a_real_binary_as_go_version_m_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Stripped too: `-s -w` drops symbols, never the build information.
    for ldflags in ["", "-s -w"] {
        let Some(binary) = build_program(dir.path(), ldflags) else {
            eprintln!("go not installed; real Go binary test skipped");
            return;
        };
        let contents = std::fs::read(&binary).expect("read binary");
        let (toolchain, module_lines) = go_version_m(&binary);

        let raw = buildinfo::read(&contents)
            .expect("reads")
            .expect("a Go binary");
        assert_eq!(raw.go_version, toolchain);
        let info = modinfo::parse(&raw.modinfo);
        assert_eq!(info, expected_modinfo());
        assert_eq!(our_lines(&info), module_lines);

        let mut want = vec![go("stdlib", &stdlib_version(&toolchain))];
        want.extend(expected_modules());
        assert_eq!(analyze(&contents).expect("reads").packages, want);
        assert!(want[0].version.starts_with("v1."), "{}", want[0].version);

        // Without the section header name the header is found by
        // searching the data segment, as Go's own reader does.
        let mut renamed = contents.clone();
        let at = find(&renamed, b".go.buildinfo\0").expect("section name in .shstrtab");
        renamed[at + 1] = b'G';
        assert_eq!(analyze(&renamed).expect("reads").packages, want);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
