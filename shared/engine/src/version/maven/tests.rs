use crate::version::VersionScheme;
use crate::version::testkit::{Case, EQ, GT, LT, assert_agrees, assert_table};

const CASES: &[Case] = &[
    // Trailing zeros and separators.
    ("1", "1.0", EQ),
    ("1.0", "1.0.0", EQ),
    ("1-alpha-1", "1.0a1", EQ),
    ("2.0", "10.0", LT),
    ("1.2.3.4.5", "1.2.3.4", GT),
    ("2.12.7.1", "2.12.7", GT),
    ("1.0.1", "1.0", GT),
    // Qualifiers: alpha < beta < milestone < rc < snapshot < release < sp.
    ("1.0-alpha-1", "1.0", LT),
    ("1.0-alpha1", "1.0-beta1", LT),
    ("1.0-beta1", "1.0-milestone1", LT),
    ("1.0-milestone1", "1.0-rc1", LT),
    ("1.0-rc1", "1.0-SNAPSHOT", LT),
    ("1.0-SNAPSHOT", "1.0", LT),
    ("1.0", "1.0-sp1", LT),
    ("1.0-sp1", "1.0-xyz", LT),
    ("1.0", "1.0-xyz", LT),
    // Aliases and case.
    ("1.0-cr1", "1.0-rc1", EQ),
    ("1.0-ga", "1.0", EQ),
    ("1.0-final", "1.0", EQ),
    ("1.0.0.Final", "1.0.0", EQ),
    ("1.0-RC1", "1.0-rc1", EQ),
    ("1.0a1", "1.0-alpha-1", EQ),
    ("1.0b2", "1.0-beta-2", EQ),
    ("1.0.0-M1", "1.0.0-alpha1", GT),
    ("1.0-a", "1.0-alpha", GT),
    // Numbers after a qualifier.
    ("1.0.0-beta-2", "1.0.0-beta-10", LT),
    ("1.0.0-beta2", "1.0.0-beta10", LT),
    ("2.0.0-beta", "2.0.0-alpha", GT),
    ("1.0-1", "1.0", GT),
    ("1.0-1", "1.0.1", LT),
    ("1.0-1", "1.0-sp", GT),
    // Real artifacts.
    ("31.1-jre", "31.1-android", GT),
    ("32.0.0-jre", "31.1-jre", GT),
    ("2.3.0.RELEASE", "2.3.0.M1", GT),
    ("5.3.20.RELEASE", "5.3.20", EQ),
    ("2.17.1", "2.17.0-rc1", GT),
    ("2.15.0-rc2", "2.15.0-rc1", GT),
    ("9.4.43.v20210629", "9.4.43", GT),
    ("9.4.44.v20210927", "9.4.43.v20210629", GT),
    ("1.0-20230101.123456-1", "1.0", GT),
    ("0.9.9", "1.0-alpha", LT),
    ("1.0.0-alpha", "1.0.0-alpha.1", LT),
    ("12345678901234567890", "12345678901234567891", LT),
    // Cases the `mvn_version` crate got wrong, which is why this module
    // does not use it.
    ("2-RC1", "2.sp2", LT),
    ("10alpha-1", "10.cr1", LT),
    ("10.sp1", "10.0cr10", GT),
    ("1.0.0b-SNAPSHOT", "1.0.b2", GT),
    ("2.0.1.0.jre1", "2.0.1-v20210629-1", LT),
    // A qualifier that ends the version, or runs into a digit, opens a
    // sub-list as if a hyphen preceded it (`1.0.0.RC1` reads as
    // `1.0.0-RC1`), while one followed by a dot stays in the list. So
    // `1.cr` is [1, [rc]] but `1.cr.final` is [1, rc], and a sub-list
    // outranks a qualifier: Maven really does put `1.cr` above it.
    ("1.0.0.RC1", "1.0.0-RC2", LT),
    ("1.cr", "1.cr.final", GT),
    // `a` alone, not followed by a digit, is an unknown qualifier, above rc.
    ("2.a", "2RC", GT),
];

#[test]
fn table() {
    assert_table(VersionScheme::Maven, CASES);
}

/// The whole table through Maven's own `ComparableVersion` (its `main`
/// compares each argument with the next), when Java and Maven are installed.
#[test]
fn agrees_with_maven() {
    let jar = [
        "/usr/share/maven/lib/maven-artifact-3.x.jar",
        "/usr/share/java/maven-artifact-3.x.jar",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists());
    let Some(jar) = jar else {
        eprintln!("note: maven-artifact is not installed; reference check skipped");
        return;
    };
    let mut args = vec![
        "-cp",
        jar,
        "org.apache.maven.artifact.versioning.ComparableVersion",
    ];
    args.extend(CASES.iter().flat_map(|(a, b, _)| [*a, *b]));
    let Some(out) = crate::version::testkit::run("java", &args, "") else {
        return;
    };
    // Comparison lines read "   A OP B" for each neighbouring pair; keep
    // the ones comparing a case's two sides, every second line.
    let answers: Vec<_> = out
        .lines()
        .filter(|l| l.starts_with("   "))
        .filter_map(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(crate::version::testkit::parse_sign)
        })
        .step_by(2)
        .collect();
    assert_eq!(answers.len(), CASES.len(), "maven answered:\n{out}");
    assert_agrees(VersionScheme::Maven, "maven", CASES, &answers);
}
