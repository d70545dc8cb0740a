use crate::version::VersionScheme;
use crate::version::testkit::{Case, EQ, GT, LT, assert_reference, assert_rejects, assert_table};

/// Module versions; these also go through Go's own `x/mod/semver`.
const MODULE_CASES: &[Case] = &[
    // A pseudo-version with no earlier tag sorts below v0.0.0 itself...
    ("v0.0.0-20210101000000-abcdef123456", "v0.0.0", LT),
    ("v0.0.0-20210101000000-abcdef123456", "v0.0.1", LT),
    ("v0.1.0", "v0.0.0-20991231235959-ffffffffffff", GT),
    // ...and pseudo-versions order by their timestamp.
    (
        "v0.0.0-20210101000000-abcdef123456",
        "v0.0.0-20201231235959-fedcba654321",
        GT,
    ),
    (
        "v0.0.0-20210101000000-abcdef123456",
        "v0.0.0-20210101000001-000000000000",
        LT,
    ),
    // OSV writes Go versions without the `v`.
    (
        "v0.0.0-20210101000000-abcdef123456",
        "0.0.0-20210101000000-abcdef123456",
        EQ,
    ),
    ("1.2.3", "v1.2.3", EQ),
    (
        "0.0.0-20210101000000-abcdef123456",
        "v0.0.0-20211231000000-abcdef123456",
        LT,
    ),
    // vX.Y.(Z+1)-0.timestamp-hash: after vX.Y.Z, before vX.Y.(Z+1) and
    // before any of its real pre-releases.
    ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.3", GT),
    ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.4", LT),
    ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.4-alpha", LT),
    (
        "v1.2.4-0.20210101000000-abcdef123456",
        "v1.2.4-0.20210202000000-abcdef123456",
        LT,
    ),
    // vX.Y.Z-pre.0.timestamp-hash: after vX.Y.Z-pre.
    ("v1.2.4-pre.0.20210101000000-abcdef123456", "v1.2.4-pre", GT),
    (
        "v1.2.4-pre.0.20210101000000-abcdef123456",
        "v1.2.4-pre.1",
        LT,
    ),
    ("v1.2.4-pre.0.20210101000000-abcdef123456", "v1.2.4", LT),
    // `+incompatible` is build metadata.
    ("v2.0.0+incompatible", "v2.0.0", EQ),
    ("v2.0.1+incompatible", "v2.0.0+incompatible", GT),
    ("v2.0.0+incompatible", "v1.9.9", GT),
    ("v1.2.3+meta", "v1.2.3", EQ),
    // Plain SemVer.
    ("v1.2.3", "v1.2.10", LT),
    ("v1.10.0", "v1.9.0", GT),
    ("v1.0.0", "v0.99.99", GT),
    ("v1.2.3-rc.1", "v1.2.3", LT),
    ("v1.2.3-rc.2", "v1.2.3-rc.10", LT),
    ("v1.2.3-alpha", "v1.2.3-beta", LT),
    ("v1.2.3-alpha", "v1.2.3-alpha.1", LT),
    ("v1.2.3-alpha.1", "v1.2.3-alpha.beta", LT),
    ("v1.2.3-1", "v1.2.3-alpha", LT),
    // The shorthands Go's tools accept.
    ("v1.2", "v1.2.0", EQ),
    ("v1", "v1.0.0", EQ),
    ("v1.2", "v1.2.1", LT),
    // Real modules.
    ("v0.17.0", "v0.0.0-20220722155223-a9213eeb770e", GT),
    ("v1.1.2", "v1.1.2-0.20210101000000-abcdef123456", GT),
];

/// Toolchain versions, as binaries report them, against each other and
/// against the SemVer that standard-library advisories use.
const TOOLCHAIN_CASES: &[Case] = &[
    ("go1.21.3", "1.21.3", EQ),
    ("go1.21.3", "v1.21.3", EQ),
    ("go1.21.3", "1.21.4", LT),
    ("go1.21.3", "go1.21.10", LT),
    ("go1.22rc1", "go1.22.0", LT),
    ("go1.22rc1", "go1.22rc2", LT),
    ("go1.22beta1", "go1.22rc1", LT),
    ("go1.21.13", "go1.22rc1", LT),
    ("go1.22rc1", "1.22.0-rc.1", EQ),
    ("1.22rc1", "1.22.0-rc.1", EQ),
    ("go1.20", "go1.20.0", EQ),
    ("go1.20", "go1.20.1", LT),
    ("go1.19.13", "go1.20", LT),
    ("go1.9beta2", "go1.9", LT),
    ("go1", "go1.0.1", LT),
    ("go1.21.3 X:boringcrypto", "go1.21.3", EQ),
];

#[test]
fn module_table() {
    assert_table(VersionScheme::Go, MODULE_CASES);
}

#[test]
fn toolchain_table() {
    assert_table(VersionScheme::Go, TOOLCHAIN_CASES);
}

#[test]
fn rejects_invalid() {
    assert_rejects(
        VersionScheme::Go,
        &[
            "",
            "vfoo",
            "go",
            "gox",
            "v1.2-pre",
            "1.2.3.4",
            "go1.22alpha1",
            "go1.02",
            "devel go1.22",
        ],
    );
}

/// The module table through `golang.org/x/mod/semver`, the package the go
/// command itself uses. Go's source tree vendors it, so the test builds a
/// tiny program against that copy; skipped when Go is not installed.
#[test]
fn agrees_with_x_mod_semver() {
    const SCRIPT: &str = r#"command -v go >/dev/null || { echo absent; exit 0; }
src="$(go env GOROOT)/src/cmd/vendor/golang.org/x/mod/semver/semver.go"
[ -f "$src" ] || { echo absent; exit 0; }
cd "$1" && mkdir -p semver && cp "$src" semver/ &&
GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off go run ."#;
    const MAIN: &str = r#"package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"refcheck/semver"
)

func v(s string) string {
	if strings.HasPrefix(s, "v") {
		return s
	}
	return "v" + s
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		fmt.Println(semver.Compare(v(f[0]), v(f[1])))
	}
}
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module refcheck\n\ngo 1.18\n").unwrap();
    std::fs::write(dir.path().join("main.go"), MAIN).unwrap();
    let path = dir.path().to_str().unwrap();
    let args = ["-c", SCRIPT, "sh", path];
    assert_reference(VersionScheme::Go, "x/mod/semver", "sh", &args, MODULE_CASES);
}
