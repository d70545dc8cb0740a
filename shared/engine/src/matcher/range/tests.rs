use super::*;

fn entry(ecosystem: &str, kind: RangeKind, events: &[(&str, &str)]) -> AffectedEntry {
    let events = events
        .iter()
        .map(|(k, v)| {
            let v = (*v).to_owned();
            match *k {
                "introduced" => RangeEvent::Introduced(v),
                "fixed" => RangeEvent::Fixed(v),
                "last_affected" => RangeEvent::LastAffected(v),
                "limit" => RangeEvent::Limit(v),
                other => panic!("bad event kind {other}"),
            }
        })
        .collect();
    AffectedEntry {
        record: "TEST-1".into(),
        ecosystem: ecosystem.into(),
        name: "pkg".into(),
        ranges: vec![AffectedRange { kind, events }],
        versions: Vec::new(),
    }
}

/// Returns `None` when not affected, `Some(fix)` when affected.
fn run(e: &AffectedEntry, version: &str) -> Option<Option<String>> {
    let installed = parse_installed(&e.ecosystem, version);
    check(e, version, installed.as_ref()).map(|h| h.fixed)
}

#[test]
fn introduced_fixed_pairs_and_the_lowest_fix_above() {
    let e = entry(
        "PyPI",
        RangeKind::Ecosystem,
        &[
            ("introduced", "0"),
            ("fixed", "1.5"),
            ("introduced", "2.0"),
            ("fixed", "2.3"),
            ("introduced", "3.0"),
        ],
    );
    let table = [
        ("0.1", Some(Some("1.5"))),
        ("1.5", None),
        ("1.9", None),
        ("2.0", Some(Some("2.3"))),
        ("2.2.9", Some(Some("2.3"))),
        ("2.3", None),
        ("3.0rc1", None),
        ("3.0", Some(None)),
        ("9", Some(None)),
    ];
    for (version, want) in table {
        let want = want.map(|f| f.map(str::to_owned));
        assert_eq!(run(&e, version), want, "{version}");
    }
}

#[test]
fn last_affected_is_inclusive_and_limit_caps() {
    let e = entry(
        "RubyGems",
        RangeKind::Ecosystem,
        &[("introduced", "1.0"), ("last_affected", "1.4.2")],
    );
    assert_eq!(run(&e, "1.4.2"), Some(None));
    assert_eq!(run(&e, "1.4.3"), None);
    assert_eq!(run(&e, "0.9"), None);
    let e = entry(
        "crates.io",
        RangeKind::Semver,
        &[("introduced", "0"), ("limit", "2.0.0")],
    );
    assert_eq!(run(&e, "1.9.9"), Some(None));
    assert_eq!(run(&e, "2.0.0"), None);
}

#[test]
fn distribution_orders_apply() {
    let deb = entry(
        "Debian:10",
        RangeKind::Ecosystem,
        &[("introduced", "0"), ("fixed", "1.1.1d-0+deb10u2")],
    );
    assert_eq!(
        run(&deb, "1.1.1d-0+deb10u1"),
        Some(Some("1.1.1d-0+deb10u2".into()))
    );
    assert_eq!(run(&deb, "1.1.1d-0+deb10u2"), None);
    // An epoch is not a major version: 2:9.0.0 is not below 8.4.0.
    let epoch = entry(
        "Debian:11",
        RangeKind::Ecosystem,
        &[("introduced", "0"), ("fixed", "8.4.0")],
    );
    assert_eq!(run(&epoch, "2:9.0.0"), None);
    assert_eq!(run(&epoch, "1:1.0"), None);
    let apk = entry(
        "Alpine:v3.10",
        RangeKind::Ecosystem,
        &[("introduced", "0"), ("fixed", "1.1.1d-r0")],
    );
    assert_eq!(run(&apk, "1.1.1c-r0"), Some(Some("1.1.1d-r0".into())));
    assert_eq!(run(&apk, "1.1.1d_rc1-r0"), Some(Some("1.1.1d-r0".into())));
    assert_eq!(run(&apk, "1.1.1d-r1"), None);
    let rpm = entry(
        "AlmaLinux:8",
        RangeKind::Ecosystem,
        &[("introduced", "0"), ("fixed", "1:1.0-1.el8_6")],
    );
    assert_eq!(run(&rpm, "1:1.0-1.el8"), Some(Some("1:1.0-1.el8_6".into())));
    assert_eq!(run(&rpm, "1.0-9.el8"), Some(Some("1:1.0-1.el8_6".into())));
}

#[test]
fn go_versions_with_and_without_v_and_pseudo_versions() {
    let e = entry(
        "Go",
        RangeKind::Semver,
        &[
            ("introduced", "0"),
            ("fixed", "1.20.7"),
            ("introduced", "1.21.0-0"),
            ("fixed", "1.21.0-rc.4"),
        ],
    );
    assert_eq!(run(&e, "go1.20.6"), Some(Some("1.20.7".into())));
    assert_eq!(run(&e, "1.20.7"), None);
    assert_eq!(run(&e, "go1.21rc3"), Some(Some("1.21.0-rc.4".into())));
    assert_eq!(run(&e, "go1.21.0"), None);
    let m = entry(
        "Go",
        RangeKind::Semver,
        &[
            ("introduced", "0"),
            ("fixed", "0.0.0-20220314234659-1baeb1ce4c0b"),
        ],
    );
    assert_eq!(
        run(&m, "v0.0.0-20210101000000-abcdef123456"),
        Some(Some("0.0.0-20220314234659-1baeb1ce4c0b".into()))
    );
    assert_eq!(run(&m, "v0.0.0-20230101000000-abcdef123456"), None);
}

#[test]
fn explicit_versions_match_even_without_an_ordering() {
    let mut e = entry("Hackage", RangeKind::Ecosystem, &[]);
    e.ranges.clear();
    e.versions = vec!["1.2.3".into()];
    assert_eq!(run(&e, "1.2.3"), Some(None));
    assert_eq!(run(&e, "1.2.4"), None);
}

#[test]
fn empty_and_unparseable_bounds() {
    let e = entry(
        "PyPI",
        RangeKind::Ecosystem,
        &[("introduced", "1.0"), ("fixed", "1.0")],
    );
    assert_eq!(run(&e, "1.0"), None);
    let e = entry(
        "PyPI",
        RangeKind::Ecosystem,
        &[("introduced", "0"), ("fixed", "not a version!")],
    );
    assert_eq!(run(&e, "5.0"), Some(None));
}
