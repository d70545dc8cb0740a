use super::*;

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn issue() -> Issue {
    Issue {
        id: "is-1".into(),
        target_id: "t-1".into(),
        vulnerability_id: "DSA-5678-1".into(),
        aliases: vec!["CVE-2024-5535".into()],
        severity: Severity::High as i32,
        cvss_score: 9.1,
        cvss_vector: "CVSS:3.1/AV:N".into(),
        package: Some(Package {
            name: "libssl3".into(),
            source_name: "openssl".into(),
            installed_version: "3.0.11-1~deb12u2".into(),
            r#type: "deb".into(),
            path: "var/lib/dpkg/status".into(),
            layer: "sha256:cc".into(),
        }),
        fixed_version: "3.0.15-1~deb12u1".into(),
        remediation: "upgrade openssl to 3.0.15-1~deb12u1".into(),
        state: IssueState::Fixed as i32,
        first_seen_at: at(1_772_366_400),
        first_seen_scan_id: "s-1".into(),
        fixed_at: at(1_772_370_000),
        fixed_by_scan_id: "s-2".into(),
        summary: "openssl: buffer overread".into(),
        reopened_at: None,
        reopened_by_scan_id: String::new(),
        last_seen_at: at(1_772_366_400),
        last_seen_scan_id: "s-1".into(),
    }
}

fn unfixed() -> Issue {
    Issue {
        id: "is-2".into(),
        vulnerability_id: "CVE-2023-4911".into(),
        aliases: Vec::new(),
        severity: Severity::Critical as i32,
        cvss_score: 0.0,
        cvss_vector: String::new(),
        fixed_version: String::new(),
        remediation: "no fix released".into(),
        state: IssueState::Open as i32,
        fixed_at: None,
        fixed_by_scan_id: String::new(),
        package: Some(Package {
            name: "libc6".into(),
            installed_version: "2.36-9".into(),
            ..Package::default()
        }),
        ..issue()
    }
}

#[test]
fn the_listing_shows_package_fix_and_state() {
    let views = vec![IssueView::from(unfixed()), IssueView::from(issue())];
    assert_eq!(
        output::render(&views, Format::Table).unwrap(),
        "ID    VULNERABILITY  SEVERITY  PACKAGE  INSTALLED         FIXED IN          STATE\n\
         is-2  CVE-2023-4911  critical  libc6    2.36-9            no fix            open\n\
         is-1  DSA-5678-1     high      libssl3  3.0.11-1~deb12u2  3.0.15-1~deb12u1  fixed\n"
    );
}

#[test]
fn show_has_remediation_and_the_fixing_scan() {
    assert_eq!(
        IssueView::from(issue()).table(),
        "id              is-1\n\
         vulnerability   DSA-5678-1\n\
         aliases         CVE-2024-5535\n\
         summary         openssl: buffer overread\n\
         severity        high\n\
         cvss            9.1 CVSS:3.1/AV:N\n\
         package         libssl3\n\
         source package  openssl\n\
         installed       3.0.11-1~deb12u2\n\
         type            deb\n\
         path            var/lib/dpkg/status\n\
         layer           sha256:cc\n\
         fixed in        3.0.15-1~deb12u1\n\
         remediation     upgrade openssl to 3.0.15-1~deb12u1\n\
         state           fixed\n\
         target          t-1\n\
         first seen      2026-03-01 12:00:00 UTC by scan s-1\n\
         last seen       2026-03-01 12:00:00 UTC by scan s-1\n\
         fixed           2026-03-01 13:00:00 UTC by scan s-2\n\
         reopened        -\n"
    );
}

#[test]
fn json_has_the_package_type_and_no_score_when_unknown() {
    let views = vec![IssueView::from(unfixed()), IssueView::from(issue())];
    let value: serde_json::Value =
        serde_json::from_str(&output::render(&views, Format::Json).unwrap()).unwrap();
    assert_eq!(value[0]["cvss_score"], serde_json::Value::Null);
    assert_eq!(value[0]["state"], "open");
    assert_eq!(value[1]["package"]["type"], "deb");
    assert_eq!(value[1]["cvss_score"], 9.1);
    assert_eq!(value[1]["fixed_at"], "2026-03-01T13:00:00Z");
}

#[test]
fn filters_become_the_request() {
    let args = ListArgs {
        target: Some("acme/app:latest".into()),
        scan: Some("s-1".into()),
        severity: vec![SeverityArg::Critical, SeverityArg::High],
        state: Some(StateArg::Open),
        package: Some("openssl".into()),
        vulnerability: Some("CVE-2024-5535".into()),
        limit: Limit { limit: 10 },
    };
    assert_eq!(
        args.request("t-1".into()),
        ListIssuesRequest {
            target_id: "t-1".into(),
            scan_id: "s-1".into(),
            severities: vec![Severity::Critical as i32, Severity::High as i32],
            state: IssueState::Open as i32,
            package: "openssl".into(),
            vulnerability_id: "CVE-2024-5535".into(),
            page_size: 0,
            page_token: String::new(),
        }
    );
}
