use crate::version::VersionScheme;
use crate::version::testkit::{Case, EQ, GT, LT, assert_reference, assert_rejects, assert_table};

const CASES: &[Case] = &[
    // Trailing zeros do not count.
    ("1.0", "1", EQ),
    ("1.0.0", "1", EQ),
    ("0", "0.0", EQ),
    ("1.01", "1.1", EQ),
    ("1.0.0.a.0", "1.0.0.a", EQ),
    // ...even before a letter segment: `1.0.a` is `1.a`.
    ("1.a", "1.0.a", EQ),
    ("1.0a", "1.0.a", EQ),
    // Numbers compare as numbers.
    ("1.2.3", "1.2.10", LT),
    ("1.10", "1.9", GT),
    ("0.0.1", "0.1", LT),
    ("1.2.3.4", "1.2.3", GT),
    ("1.0.0.1", "1.0.0.0.1", GT),
    ("7.0.8.1", "7.0.8", GT),
    ("7.1.0", "7.0.8.7", GT),
    ("6.1.7.10", "6.1.7.9", GT),
    ("1.14.0", "1.13.10", GT),
    (
        "123456789012345678901234567890",
        "123456789012345678901234567889",
        GT,
    ),
    // Any letter segment makes a pre-release, below the release...
    ("1.0.a", "1.0", LT),
    ("1.0.0.pre", "1.0.0", LT),
    ("1.0.0.rc1", "1.0.0", LT),
    ("2.0.0.a", "1.9.9", GT),
    ("1.2.3.a", "1.2.3.4", LT),
    ("1.0.a.1", "1.0.a", GT),
    ("1.0.a.1", "1.0.a.b", GT),
    // ...and letters compare as bytes, numbers split off them.
    ("1.0.a", "1.0.b", LT),
    ("1.0.0.rc1", "1.0.0.beta2", GT),
    ("1.0.0.rc10", "1.0.0.rc9", GT),
    ("1.0.0.a10", "1.0.0.a9", GT),
    ("2.0.0.beta1", "2.0.0.alpha2", GT),
    ("3.0.0.pre1", "3.0.0.beta", GT),
    ("1.0.0.dev", "1.0.0.alpha", GT),
    ("10.0.0.beta.3", "10.0.0.beta.10", LT),
    ("1.0.A", "1.0.a", LT),
    // A hyphen reads as `.pre.`, so it always makes a pre-release.
    ("1.0.0-rc1", "1.0.0.pre.rc1", EQ),
    ("1.0.0-rc1", "1.0.0", LT),
    ("1.0.0-rc1", "1.0.0.rc1", LT),
    ("1.0.0-1", "1.0.0", LT),
    // Real gems.
    ("7.0.4.3", "7.0.4.2", GT),
    ("6.1.7.3", "7.0.0.rc1", LT),
    ("1.13.10", "1.14.0.rc1", LT),
    ("2.5.0", "2.5.0.beta1", GT),
    (" 1.0 ", "1.0", EQ),
];

#[test]
fn table() {
    assert_table(VersionScheme::RubyGems, CASES);
}

#[test]
fn rejects_invalid() {
    assert_rejects(
        VersionScheme::RubyGems,
        &[
            "", "a", "v1.0", "1..0", "1.0.", "1.0-", "1.0_1", "1 0", "1a",
        ],
    );
}

#[test]
fn prerelease_flag() {
    let pre: super::GemVersion = "1.0.0-rc1".parse().unwrap();
    let release: super::GemVersion = "1.0.0".parse().unwrap();
    assert!(pre.is_prerelease());
    assert!(!release.is_prerelease());
}

/// The whole table through RubyGems' own `Gem::Version`, when Ruby is
/// installed.
#[test]
fn agrees_with_rubygems() {
    const SCRIPT: &str = "STDIN.each_line { |l| a, b = l.split(' '); puts(Gem::Version.new(a) <=> Gem::Version.new(b)) }";
    // Ruby's split would take the padded case apart; it is covered above.
    let cases: Vec<_> = CASES
        .iter()
        .copied()
        .filter(|(a, _, _)| !a.starts_with(' '))
        .collect();
    assert_reference(
        VersionScheme::RubyGems,
        "rubygems",
        "ruby",
        &["-e", SCRIPT],
        &cases,
    );
}
