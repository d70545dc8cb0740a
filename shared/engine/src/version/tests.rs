//! The scheme-independent API: dispatch, mixing schemes, errors.

use std::cmp::Ordering;

use super::{Version, VersionError, VersionScheme};

#[test]
fn every_scheme_parses_and_compares() {
    let pairs = [
        (VersionScheme::Dpkg, "1.0~rc1", "1.0"),
        (VersionScheme::Apk, "1.2.3_rc1", "1.2.3"),
        (VersionScheme::Rpm, "1.0~rc1", "1.0"),
        (VersionScheme::SemVer, "1.0.0-rc.1", "1.0.0"),
        (VersionScheme::Go, "v1.0.0-rc.1", "v1.0.0"),
        (VersionScheme::Pep440, "1.0rc1", "1.0"),
        (VersionScheme::Maven, "1.0-rc1", "1.0"),
        (VersionScheme::RubyGems, "1.0.rc1", "1.0"),
    ];
    for (scheme, lower, higher) in pairs {
        let a = scheme.parse(lower).unwrap();
        let b = scheme.parse(higher).unwrap();
        assert_eq!(a.scheme(), scheme);
        assert_eq!(a.compare(&b), Ok(Ordering::Less), "{scheme}");
        assert!(a < b, "{scheme}");
        assert_eq!(
            scheme.compare(higher, lower),
            Ok(Ordering::Greater),
            "{scheme}"
        );
    }
    assert_eq!(VersionScheme::ALL.len(), pairs.len());
}

#[test]
fn mixed_schemes_have_no_order() {
    let deb = VersionScheme::Dpkg.parse("1.0").unwrap();
    let rpm = VersionScheme::Rpm.parse("1.0").unwrap();
    assert_eq!(deb.partial_cmp(&rpm), None);
    assert_ne!(deb, rpm);
    assert_eq!(
        deb.compare(&rpm),
        Err(VersionError::SchemeMismatch {
            left: VersionScheme::Dpkg,
            right: VersionScheme::Rpm
        })
    );
}

#[test]
fn equality_is_by_order_not_spelling() {
    let a = VersionScheme::Dpkg.parse("1.0").unwrap();
    let b = VersionScheme::Dpkg.parse("1.00").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.as_str(), "1.0");
    assert_eq!(b.to_string(), "1.00");
}

#[test]
fn errors_name_the_scheme_and_the_input() {
    let err = VersionScheme::Apk.parse("1.0bc").unwrap_err();
    assert!(matches!(
        &err,
        VersionError::Invalid { scheme: VersionScheme::Apk, input, .. } if input == "1.0bc"
    ));
    let message = err.to_string();
    assert!(
        message.starts_with("\"1.0bc\" is not a valid apk version: "),
        "{message}"
    );
    assert!(VersionScheme::Dpkg.compare("1.0", "a:1").is_err());
}

#[test]
fn parsed_versions_trim_whitespace() {
    let v: Version = VersionScheme::Pep440.parse("  1.0.post1\n").unwrap();
    assert_eq!(v.as_str(), "1.0.post1");
}
