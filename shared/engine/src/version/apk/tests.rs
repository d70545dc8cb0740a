//! No apk binary exists on a Debian machine, so the expectations here come
//! from two places: apk-tools' own test data (`tests/version.data` in its
//! repository, which records what apk answers), and reasoning through the
//! documented token order, with the reason written wherever the answer is
//! not obvious.

use crate::version::VersionScheme;
use crate::version::testkit::{Case, EQ, GT, LT, assert_rejects, assert_table};

/// Pairs taken from apk-tools' test data.
const FROM_APK_TOOLS: &[Case] = &[
    ("1.3_alpha2", "1.3_alpha3", LT),
    ("3.1_p16", "3.1_p17", LT),
    ("1.0_p10-r0", "1.0_p9-r0", GT),
    // A second pre-release suffix lowers the version further.
    ("0.1.0_alpha_pre2", "0.1.0_alpha", LT),
    ("2.9.11_pre20051101-r3", "2.9.11_pre20051101", GT),
    // Date-like numbers compare as numbers, however long.
    (
        "1.0.0_pre20191002222144-r0",
        "1.0.0_pre20210530193627-r0",
        LT,
    ),
    ("1.2.2-r1", "1.2.2", GT),
    ("4.5_p1-r1", "4.5_p1", GT),
    ("1.0.1", "1.1", LT),
    ("1.2.1", "1.2", GT),
    ("1.2.12.1", "1.2.13", LT),
    ("7.0.17", "7.0.174", LT),
    ("20050718-r1", "20050718-r2", LT),
    ("2.0.0_rc3-r1", "1.5", GT),
    ("0.1", "0.71-r1", LT),
    ("1.3-r0", "1.3.1-r0", LT),
    ("1.3_pre1-r1", "1.3.2", LT),
    ("2.3.0b-r1", "2.3.0b-r2", LT),
    ("2.5.1-r8", "2.5.1a-r1", LT),
    ("1.1a", "1.3a", LT),
    ("0.9.8c-r1", "0.9.8d", LT),
    ("1.7", "1.7b", LT),
    // A dotted component with leading zeros is a decimal fraction.
    ("4.01", "4.20", LT),
    ("1.02.07", "1.02.10-r1", LT),
    ("1.2.07.8", "1.2.12.04", LT),
    ("4.5.14", "4.09-r1", GT),
    // The first component is always a plain number.
    ("1.06-r6", "006", LT),
    ("3.0.3-r2", "021109-r3", LT),
    ("0.2.0-r1", "0.2.0-r1", EQ),
];

/// Pairs worked out from the token order.
const REASONED: &[Case] = &[
    // Suffixes: pre-releases below the release, post-releases above it.
    ("1.2.3_rc1", "1.2.3", LT),
    ("1.2.3", "1.2.3_p1", LT),
    ("1.2.3_rc1", "1.2.3_p1", LT),
    ("1_alpha", "1_beta", LT),
    ("1_beta", "1_pre", LT),
    ("1_pre", "1_rc", LT),
    ("1_rc", "1", LT),
    ("1", "1_cvs", LT),
    ("1_cvs", "1_svn", LT),
    ("1_svn", "1_git", LT),
    ("1_git", "1_hg", LT),
    ("1_hg", "1_p", LT),
    ("1.2.3_git20200101", "1.2.3_p1", LT),
    // A suffix without a number is below the same suffix with one.
    ("1.0_rc", "1.0_rc1", LT),
    ("1.0_p", "1.0_p0", LT),
    // Revisions compare as numbers; no revision is below any.
    ("1.2.3-r10", "1.2.3-r9", GT),
    ("2.4.23-r9", "2.4.23-r10", LT),
    ("1.2.3-r0", "1.2.3", GT),
    ("1.2.3_rc1-r5", "1.2.3-r0", LT),
    // A post-release suffix outranks a revision of the bare release: the
    // suffix is an earlier kind of token than the revision, so that side
    // has "more version" where the two part.
    ("1.2.3_p1", "1.2.3-r5", GT),
    // Likewise a letter outranks a post-release suffix, and another dotted
    // number outranks a letter.
    ("1.0a", "1.0_p1", GT),
    ("1.0.1", "1.0a", GT),
    ("1.01", "1.1", LT),
    ("006", "6", EQ),
    // Surprising, but what apk-tools 2 does: `1.00` has one more leading
    // zero than `1.0`, so it is the smaller fraction, though both read 0.
    ("1.0", "1.00", GT),
    // ... and `1.0.4` reads [1, 0, 0, 4] against `1.04`'s [1, 0, 4].
    ("1.0.4", "1.04", LT),
    ("1.0", "1.0", EQ),
];

#[test]
fn apk_tools_table() {
    assert_table(VersionScheme::Apk, FROM_APK_TOOLS);
}

#[test]
fn reasoned_table() {
    assert_table(VersionScheme::Apk, REASONED);
}

/// Versions apk-tools treats as invalid. Its test data gives answers for
/// some of them (`1.0 < 1.0bc`, `23_foo > 4_beta`, `1 < 1-ruff`), but those
/// are artefacts of where its reader stops, not an order anyone relies on.
#[test]
fn rejects_invalid() {
    assert_rejects(
        VersionScheme::Apk,
        &[
            "",
            "r1",
            "v1.0",
            "1.0bc",
            "23_foo",
            "1-ruff",
            "1-r",
            "1.0-r1-r2",
            "1..2",
            "1.",
            "1.0_patch1",
            "1.0A",
            "1.0a.1",
            "1.0_p1.2",
            "1.0~abc123-r0",
            "1.0-1",
        ],
    );
}

#[test]
fn a_release_sorts_in_a_chain() {
    let order = [
        "1.2.3_alpha",
        "1.2.3_rc1",
        "1.2.3",
        "1.2.3-r1",
        "1.2.3_p1",
        "1.2.3a",
        "1.2.3.1",
    ];
    for pair in order.windows(2) {
        assert_eq!(
            VersionScheme::Apk.compare(pair[0], pair[1]),
            Ok(LT),
            "{pair:?}"
        );
    }
}
