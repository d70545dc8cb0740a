use crate::version::VersionScheme;
use crate::version::testkit::{Case, EQ, GT, LT, assert_reference, assert_rejects, assert_table};

const CASES: &[Case] = &[
    // Epochs win over everything after them.
    ("1:1.0", "2.0", GT),
    ("2:9.0.0", "8.4.0", GT),
    ("2:9.0.0", "1:8.4.0", GT),
    ("1:8.4.0", "2:1.0", LT),
    ("1:0", "0:99999", GT),
    ("1:2.38.1-5+deb12u1", "2.40", GT),
    ("0:1.0", "1.0", EQ),
    ("4:1.0", "4:1.0", EQ),
    // `~` sorts before anything, even the end of the string.
    ("1.0~rc1", "1.0", LT),
    ("1.0~", "1.0", LT),
    ("1.0~~", "1.0~", LT),
    ("1.0~~a", "1.0~", LT),
    ("1.0~~", "1.0~~~", GT),
    ("1.0~rc1", "1.0~rc2", LT),
    ("1.0~beta1", "1.0~rc1", LT),
    ("1.0~rc1+dfsg", "1.0~rc1", GT),
    ("1.0~rc1+dfsg", "1.0", LT),
    // Letters sort before non-letters; any character after the end.
    ("1.0a", "1.0", GT),
    ("1.0a", "1.0+", LT),
    ("1.0a", "1.0.", LT),
    ("1.0+", "1.0.", LT),
    ("1.0+deb12u1", "1.0", GT),
    ("1.2.3+dfsg-1", "1.2.3-1", GT),
    ("1.2.3+dfsg-1", "1.2.3.1-1", LT),
    // dpkg only warns about `_`, and orders it like any other non-letter.
    ("1.0_beta", "1.0+beta", GT),
    // Digits compare as numbers, of any length; missing revision is `0`.
    ("1.0", "1.0-0", EQ),
    ("1.0", "1.00", EQ),
    ("1.001", "1.1", EQ),
    ("1.0", "1.0.0", LT),
    ("0.0.0", "0", GT),
    ("10", "9", GT),
    ("1.10", "1.9", GT),
    ("99999999999999999999", "99999999999999999998", GT),
    // Revisions, as Debian and Ubuntu security updates use them.
    ("1.0-1", "1.0-2", LT),
    ("1.0-10", "1.0-9", GT),
    ("1.0-1ubuntu1", "1.0-1", GT),
    ("1.0-1ubuntu0.1", "1.0-1ubuntu1", LT),
    ("1.0-1+deb11u1", "1.0-1+deb11u2", LT),
    ("1.0-1+b1", "1.0-1", GT),
    ("1.18.0-6.1", "1.18.0-6+b1", GT),
    ("1.2.3-1", "1.2.3-1.1", LT),
    ("2.36-9+deb12u4", "2.36-9+deb12u10", LT),
    ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12", LT),
    ("3.0.11-1~deb12u2", "3.0.11-1", LT),
    ("3.0.11-1~deb12u2", "3.0.11-1~deb12u1", GT),
    ("0.9.8y-0ubuntu1", "0.9.8y", GT),
    ("2.7.4-0ubuntu1.6", "2.7.4-0ubuntu1.10", LT),
    // The revision starts after the last hyphen.
    ("1.0-2-3", "1.0-2-4", LT),
    ("1.0-2-3", "1.0-10", GT),
];

#[test]
fn table() {
    assert_table(VersionScheme::Dpkg, CASES);
}

#[test]
fn rejects_what_dpkg_rejects() {
    assert_rejects(
        VersionScheme::Dpkg,
        &["", "  ", "a:1.0", ":1.0", "1:", "1.0-", "-1", "1 2", "1:-1"],
    );
}

#[test]
fn parts() {
    let v: super::DpkgVersion = " 1:2.38.1-5+deb12u1 ".parse().unwrap();
    assert_eq!(v.as_str(), "1:2.38.1-5+deb12u1");
    assert_eq!(v.epoch(), 1);
    assert_eq!(v.upstream(), "2.38.1");
    assert_eq!(v.revision(), Some("5+deb12u1"));
}

/// The whole table through `dpkg --compare-versions`, which defines the order.
#[test]
fn agrees_with_dpkg() {
    const SCRIPT: &str = r#"command -v dpkg >/dev/null || { echo absent; exit 0; }
while read -r a b; do
  if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1
  elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0
  else echo 1; fi
done"#;
    assert_reference(VersionScheme::Dpkg, "dpkg", "sh", &["-c", SCRIPT], CASES);
}
