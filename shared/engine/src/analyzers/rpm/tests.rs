use std::path::Path;
use std::process::Command;

use super::header::{self, TAG_ARCH, TAG_NAME, TAG_RELEASE, TAG_SOURCERPM, TAG_VERSION};
use super::*;

fn analyze(path: &str, contents: &[u8]) -> Findings {
    RpmAnalyzer
        .analyze(&FileInput { path, contents })
        .expect("analyzes")
}

fn rpm(name: &str, version: &str, source: Option<(&str, &str)>, arch: &str) -> Package {
    Package {
        kind: PackageKind::Rpm,
        name: name.to_owned(),
        version: version.to_owned(),
        source_name: source.map(|(name, _)| name.to_owned()),
        source_version: source
            .map(|(_, version)| version.to_owned())
            .filter(|v| !v.is_empty()),
        arch: Some(arch.to_owned()),
        path: "/var/lib/rpm/rpmdb.sqlite".to_owned(),
        layer: None,
    }
}

#[test]
fn reads_a_header_blob() {
    let blob = header::build(
        &[
            (TAG_NAME, "openssl-libs"),
            (TAG_VERSION, "3.0.7"),
            (TAG_RELEASE, "24.el9"),
            (TAG_ARCH, "x86_64"),
            (TAG_SOURCERPM, "openssl-3.0.7-24.el9.src.rpm"),
        ],
        Some(1),
    );
    let parsed = header::parse(&blob).expect("parses");
    assert_eq!(
        parsed,
        header::Header {
            name: "openssl-libs".to_owned(),
            epoch: Some(1),
            version: "3.0.7".to_owned(),
            release: "24.el9".to_owned(),
            arch: Some("x86_64".to_owned()),
            source_rpm: Some("openssl-3.0.7-24.el9.src.rpm".to_owned()),
        }
    );
    // The same header as it sits in a `.rpm` file, after the magic.
    let mut with_magic = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
    with_magic.extend(&blob);
    assert_eq!(header::parse(&with_magic), Ok(parsed));
}

#[test]
fn refuses_broken_headers() {
    let whole = header::build(&[(TAG_NAME, "bash"), (TAG_VERSION, "5.1")], None);
    let cases: [(&[u8], &str); 4] = [
        (&[0, 0, 0], "shorter than its 8-byte preamble"),
        (
            &whole[..whole.len() - 1],
            "truncated: index or data store runs past the end",
        ),
        (&whole, "no RELEASE tag"),
        (
            &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
            "implausible size: 4294967295 entries, 0 data bytes",
        ),
    ];
    for (blob, want) in cases {
        assert_eq!(
            header::parse(blob).map_err(|e| e.to_string()),
            Err(want.to_owned())
        );
    }
}

#[test]
fn splits_source_rpm_names() {
    let cases = [
        (
            "openssl-3.0.7-24.el9.src.rpm",
            Some(("openssl", "3.0.7-24.el9")),
        ),
        (
            "python3.11-3.11.5-1.el9_3.src.rpm",
            Some(("python3.11", "3.11.5-1.el9_3")),
        ),
        (
            "kernel-rt-5.14.0-362.8.1.el9_3.nosrc.rpm",
            Some(("kernel-rt", "5.14.0-362.8.1.el9_3")),
        ),
        ("nonsense.src.rpm", None),
        ("bash-5.1-2", None),
    ];
    for (file, want) in cases {
        assert_eq!(header::split_source_rpm(file), want, "{file}");
    }
}

#[test]
fn wants_only_the_database_files() {
    let meta = |path, size| FileMeta {
        path,
        size,
        mode: 0o644,
    };
    for (path, size, want) in [
        ("/var/lib/rpm/rpmdb.sqlite", 1, true),
        ("/usr/lib/sysimage/rpm/rpmdb.sqlite", 1, true),
        ("/var/lib/rpm/Packages", 1, true),
        ("/usr/lib/sysimage/rpm/Packages.db", 1, true),
        ("/var/lib/rpm/rpmdb.sqlite-wal", 0, false),
        ("/var/lib/rpm/rpmdb.sqlite-wal", 8, true),
        ("/var/lib/rpm/rpmdb.sqlite-shm", 8, false),
        ("/tmp/var/lib/rpm/rpmdb.sqlite", 1, false),
    ] {
        assert_eq!(RpmAnalyzer.wants(&meta(path, size)), want, "{path}");
    }
}

#[test]
fn warns_about_databases_it_does_not_read() {
    let findings = analyze("/var/lib/rpm/Packages", b"\0\0\0\0");
    assert!(findings.packages.is_empty());
    assert_eq!(
        findings.warnings,
        [
            "rpm database in Berkeley DB format is not read; rpm packages of this image \
          are not reported (/var/lib/rpm/Packages)"
        ]
    );
    let findings = analyze("/usr/lib/sysimage/rpm/Packages.db", b"\0");
    assert_eq!(
        findings.warnings,
        [
            "rpm database in NDB format is not read; rpm packages of this image \
          are not reported (/usr/lib/sysimage/rpm/Packages.db)"
        ]
    );
}

#[test]
fn warns_about_an_unmerged_write_ahead_log() {
    let findings = analyze("/var/lib/rpm/rpmdb.sqlite-wal", b"WAL");
    assert_eq!(
        findings.warnings,
        [
            "/var/lib/rpm/rpmdb.sqlite-wal holds rpm database changes that are not read; \
          rpm packages installed last may be missing"
        ]
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_an_error() {
    // Junk, and a file cut off inside the SQLite header.
    for contents in [&b"junk"[..], b"SQLite format 3\0\x10\0\x02\x02"] {
        let err = RpmAnalyzer
            .analyze(&FileInput {
                path: "/var/lib/rpm/rpmdb.sqlite",
                contents,
            })
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "rpm could not read /var/lib/rpm/rpmdb.sqlite: not an SQLite database (no SQLite header)"
        );
    }
}

/// Two spec files: `hello` (epoch 2) with a `libhello` subpackage, and a
/// `noarch` `tool` without an epoch.
const SPECS: [(&str, &str); 2] = [
    (
        "hello",
        "Name: hello\nEpoch: 2\nVersion: 1.0\nRelease: 3.el9\nSummary: t\nLicense: MIT\n\
         %description\nt\n%package -n libhello\nSummary: t\n%description -n libhello\nt\n\
         %files\n%files -n libhello\n",
    ),
    (
        "tool",
        "Name: tool\nVersion: 2.4.1\nRelease: 1\nSummary: t\nLicense: MIT\n\
         BuildArch: noarch\n%description\nt\n%files\n",
    ),
];

/// Builds real packages with `rpmbuild` and installs them into a fresh
/// database with `rpm --justdb`; `None` when either tool is missing.
fn real_rpmdb(dir: &Path) -> Option<Vec<u8>> {
    let top = dir.join("top");
    let db = dir.join("db");
    for (name, spec) in SPECS {
        let spec_path = dir.join(format!("{name}.spec"));
        std::fs::write(&spec_path, spec).expect("write spec");
        let built = Command::new("rpmbuild")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg("-bb")
            .arg(&spec_path)
            .output()
            .ok()?;
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
    }
    let mut rpms: Vec<_> = [
        "x86_64/hello-1.0-3.el9.x86_64.rpm",
        "x86_64/libhello-1.0-3.el9.x86_64.rpm",
    ]
    .iter()
    .chain(&["noarch/tool-2.4.1-1.noarch.rpm"])
    .map(|file| top.join("RPMS").join(file))
    .collect();
    rpms.sort();
    let status = Command::new("rpm")
        .arg("--dbpath")
        .arg(&db)
        .args(["-i", "--justdb", "--nodeps", "--ignorearch", "--ignoreos"])
        .args(&rpms)
        .output()
        .ok()?;
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    Some(std::fs::read(db.join("rpmdb.sqlite")).expect("rpm wrote rpmdb.sqlite"))
}

/// What `rpm -qa` itself says about the database, one line per package.
fn rpm_query(db: &Path) -> Vec<String> {
    let out = Command::new("rpm")
        .arg("--dbpath")
        .arg(db)
        .args([
            "-qa",
            "--qf",
            "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\\n",
        ])
        .output()
        .expect("rpm runs");
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[test]
fn reads_a_real_rpmdb_built_by_rpm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(database) = real_rpmdb(dir.path()) else {
        eprintln!("rpm or rpmbuild not installed; real rpmdb test skipped");
        return;
    };
    let mut findings = analyze("/var/lib/rpm/rpmdb.sqlite", &database);
    findings.packages.sort();
    assert_eq!(findings.warnings, Vec::<String>::new());
    assert_eq!(
        findings.packages,
        [
            rpm("hello", "2:1.0-3.el9", Some(("hello", "")), "x86_64"),
            rpm("libhello", "2:1.0-3.el9", Some(("hello", "")), "x86_64"),
            rpm("tool", "2.4.1-1", Some(("tool", "")), "noarch"),
        ]
    );

    // And the same as rpm's own query, field for field.
    let ours: Vec<String> = findings
        .packages
        .iter()
        .map(|p| {
            let evr = if p.version.contains(':') {
                p.version.clone()
            } else {
                format!("0:{}", p.version)
            };
            let srpm = format!(
                "{}-{}.src.rpm",
                p.source_or_name(),
                p.version.split(':').next_back().unwrap_or("")
            );
            format!(
                "{} {evr} {} {srpm}",
                p.name,
                p.arch.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(ours, rpm_query(&dir.path().join("db")));

    // Signing keys are skipped; a damaged header is skipped with a warning.
    let path = dir.path().join("db/rpmdb.sqlite");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let key = header::build(
        &[
            (TAG_NAME, "gpg-pubkey"),
            (TAG_VERSION, "fd431d51"),
            (TAG_RELEASE, "4ae0493b"),
        ],
        None,
    );
    for blob in [key, vec![0, 0, 0, 9]] {
        conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [blob])
            .expect("insert");
    }
    drop(conn);
    let findings = analyze(
        "/var/lib/rpm/rpmdb.sqlite",
        &std::fs::read(&path).expect("read"),
    );
    assert_eq!(findings.packages.len(), 3);
    assert_eq!(
        findings.warnings,
        ["/var/lib/rpm/rpmdb.sqlite: package header 5 skipped: shorter than its 8-byte preamble"]
    );
}

#[test]
fn source_version_differs_when_the_source_rpm_says_so() {
    let header = header::Header {
        name: "python3-libs".to_owned(),
        epoch: Some(0),
        version: "3.9.18".to_owned(),
        release: "1.el9_3.1".to_owned(),
        arch: Some("x86_64".to_owned()),
        source_rpm: Some("python3.9-3.9.18-1.el9_3.src.rpm".to_owned()),
    };
    assert_eq!(
        package(header, "/usr/lib/sysimage/rpm/rpmdb.sqlite"),
        Package {
            path: "/usr/lib/sysimage/rpm/rpmdb.sqlite".to_owned(),
            ..rpm(
                "python3-libs",
                "3.9.18-1.el9_3.1",
                Some(("python3.9", "3.9.18-1.el9_3")),
                "x86_64"
            )
        }
    );
}
