use crate::version::VersionScheme;
use crate::version::testkit::{Case, EQ, GT, LT, assert_agrees, assert_rejects, assert_table};

const CASES: &[Case] = &[
    // Releases as RHEL and Fedora write them.
    ("1.0-1.el8_6", "1.0-1.el8", GT),
    ("1.0-1.el8_6", "1.0-2.el8", LT),
    ("1.0-1.el8", "1.0-1.el8.1", LT),
    ("1.0-1.el7", "1.0-1.el10", LT),
    ("5.2-4.el9", "5.2-4.el9_0.1", LT),
    ("3.0.7-16.el9_2", "3.0.7-18.el9_2", LT),
    ("1.1.1k-7.el8_6", "1.1.1k-12.el8_9", LT),
    ("6.2.0-15.el9_1.1", "6.2.0-15.el9_1", GT),
    ("2:8.2.2637-20.el9_1", "2:8.2.2637-16.el9_0.3", GT),
    ("4.18.0-1.fc38", "4.18.0-1.fc37", GT),
    (
        "1.2.3-1.module+el8.5.0+1234+abcd",
        "1.2.3-1.module+el8.4.0+999+ef01",
        GT,
    ),
    ("1.0-2", "1.0-10", LT),
    ("1.0-0.1", "1.0-0.10", LT),
    // Epochs: missing is 0, and they win over everything after them.
    ("1:1.0-1", "2.0-1", GT),
    ("0:1.0-1", "1.0-1", EQ),
    ("1.0", "0:1.0", EQ),
    ("1:2", "0:3", GT),
    ("10:1", "9:1", GT),
    ("1.1.1k-7.el8_6", "1:1.1.1k-6.el8", LT),
    ("2.02-142.el8", "1:2.02-99.el8", LT),
    // A missing release sorts below any release, even one that starts with
    // `~` (which sorts below an empty release).
    ("1.0", "1.0-1", LT),
    ("1.0", "1.0-~1", LT),
    ("1.0-~1", "1.0-", LT),
    ("1.0-", "1.0", GT),
    // Only the last hyphen starts the release: `1.0-1` vs `1.0.1` is a tie
    // (separators do not count), so the releases decide.
    ("1.0-1-2", "1.0.1-1", GT),
    // `~` sorts before anything, even the end.
    ("1.0~rc1", "1.0", LT),
    ("1.0~rc1-1", "1.0-1", LT),
    ("1.0~~", "1.0~", LT),
    ("1.0~rc1", "1.0~rc2", LT),
    ("1.0.0~beta.1", "1.0.0~alpha.2", GT),
    // `^` sorts after the end but before any further segment.
    ("1.0^git1", "1.0", GT),
    ("1.0^", "1.0", GT),
    ("1.0^git1", "1.0.1", LT),
    ("1.0^git1", "1.0^git2", LT),
    ("1.0~rc1^git1", "1.0~rc1", GT),
    ("1.0~rc1^git1", "1.0", LT),
    // Digits beat letters; letters compare as bytes; numbers as numbers.
    ("1.0a", "1.0", GT),
    ("1.0a", "1.0.1", LT),
    ("1.0", "1.a", GT),
    ("a", "b", LT),
    ("1.0.A", "1.0.a", LT),
    ("1.0~rc1", "1.0~RC1", GT),
    ("0.9.8a", "0.9.8", GT),
    ("1.01", "1.1", EQ),
    ("1.10", "1.9", GT),
    ("10", "9", GT),
    ("20230101", "20221231", GT),
    ("1.0", "1.0.0", LT),
    // Separators only separate: their kind and a trailing one do not count.
    ("1.0", "1_0", EQ),
    ("1.0+", "1.0", EQ),
    ("1.0", "1.0+1", LT),
];

#[test]
fn table() {
    assert_table(VersionScheme::Rpm, CASES);
}

#[test]
fn rejects_invalid() {
    assert_rejects(VersionScheme::Rpm, &["", " ", "1:", "-1", "1 2", "0:-1"]);
}

#[test]
fn parts() {
    let v: super::RpmVersion = "1:1.0-2-3.el9".parse().unwrap();
    assert_eq!(
        (v.epoch(), v.version(), v.release()),
        ("1", "1.0-2", Some("3.el9"))
    );
    let v: super::RpmVersion = "a:1.0".parse().unwrap();
    assert_eq!((v.epoch(), v.version(), v.release()), ("", "a:1.0", None));
}

/// The whole table through rpm's own comparison (`rpm.vercmp` in rpm's Lua,
/// which parses full epoch:version-release strings), when rpm is installed.
#[test]
fn agrees_with_rpm() {
    let pairs: String = CASES.iter().map(|(a, b, _)| format!("{a} {b}\n")).collect();
    let script = format!(
        "%{{lua: for a, b in string.gmatch([[{pairs}]], '(%S+) (%S+)') do \
         print(rpm.vercmp(a, b) .. '\\n') end}}"
    );
    let Some(out) = crate::version::testkit::run("rpm", &["--eval", &script], "") else {
        return;
    };
    let answers: Vec<_> = out
        .lines()
        .filter_map(crate::version::testkit::parse_sign)
        .collect();
    assert_eq!(answers.len(), CASES.len(), "rpm answered:\n{out}");
    assert_agrees(VersionScheme::Rpm, "rpm", CASES, &answers);
}
