use crate::version::VersionScheme;
use crate::version::testkit::{Case, EQ, GT, LT, assert_reference, assert_rejects, assert_table};

const CASES: &[Case] = &[
    // dev < pre-release < release < post-release.
    ("1.0.dev1", "1.0rc1", LT),
    ("1.0rc1", "1.0", LT),
    ("1.0", "1.0.post1", LT),
    ("1.0.dev1", "1.0", LT),
    ("1.0.dev456", "1.0a1", LT),
    ("1.0a1", "1.0b1", LT),
    ("1.0b2", "1.0rc1", LT),
    ("1.0a1.dev1", "1.0a1", LT),
    ("1.0a1.post1", "1.0a1", GT),
    ("1.0a1.post1", "1.0a2", LT),
    ("1.0a2.dev456", "1.0a12.dev456", LT),
    ("1.0b2.post345.dev456", "1.0b2.post345", LT),
    ("1.0b2-346", "1.0b2.post345", GT),
    ("1.0rc2", "1.0c3", LT),
    ("1.0.post1.dev1", "1.0.post1", LT),
    ("1.0.post1.dev1", "1.0", GT),
    ("1.0.post456.dev34", "1.0.post456", LT),
    ("1.1.dev1", "1.0.post456", GT),
    // Local labels: above the public version, below anything later.
    ("1.0+local", "1.0", GT),
    ("1.0+local", "1.0.post1", LT),
    ("1.0+local", "1.0.1", LT),
    ("1.0+1", "1.0+abc", GT),
    ("1.0+abc.1", "1.0+abc", GT),
    ("1.0+abc.2", "1.0+abc.10", LT),
    ("1.0+local.7", "1.0+local.7.0", LT),
    ("1.0+ABC", "1.0+abc", EQ),
    ("1.0+ubuntu-1", "1.0+ubuntu.1", EQ),
    // Epochs.
    ("1!1.0", "2.0", GT),
    ("1!1.0", "1!2.0", LT),
    ("0!1.0", "1.0", EQ),
    // Release segments: numbers, trailing zeros ignored.
    ("1.0", "1.0.0", EQ),
    ("1.0", "1", EQ),
    ("1.01", "1.1", EQ),
    ("2.0", "10.0", LT),
    ("1.10", "1.9", GT),
    ("1.0.0.0.1", "1.0", GT),
    ("2023.10.1", "2023.9.30", GT),
    // Alternative spellings normalise to the same version.
    ("v1.0", "1.0", EQ),
    ("1.0alpha1", "1.0a1", EQ),
    ("1.0.beta.2", "1.0b2", EQ),
    ("1.0c1", "1.0rc1", EQ),
    ("1.0pre1", "1.0rc1", EQ),
    ("1.0preview1", "1.0rc1", EQ),
    ("1.0-1", "1.0.post1", EQ),
    ("1.0.rev1", "1.0.post1", EQ),
    ("1.0.dev0", "1.0.dev", EQ),
    ("1.0a", "1.0a0", EQ),
    ("1.0RC1", "1.0rc1", EQ),
];

#[test]
fn table() {
    assert_table(VersionScheme::Pep440, CASES);
}

#[test]
fn rejects_invalid() {
    assert_rejects(
        VersionScheme::Pep440,
        &["", "foo", "1.0-beta-2-x", "1.0+", "1..0", "1.0 2"],
    );
}

/// The whole table through Python's `packaging`, the implementation pip
/// uses (pip vendors it, so any Python with pip has it).
#[test]
fn agrees_with_packaging() {
    const SCRIPT: &str = r#"
import sys
try:
    from packaging.version import Version
except ImportError:
    try:
        from pip._vendor.packaging.version import Version
    except ImportError:
        print("absent")
        sys.exit(0)
for line in sys.stdin:
    a, b = line.split()
    x, y = Version(a), Version(b)
    print((x > y) - (x < y))
"#;
    assert_reference(
        VersionScheme::Pep440,
        "packaging",
        "python3",
        &["-c", SCRIPT],
        CASES,
    );
}
