use super::*;

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn completed() -> Scan {
    Scan {
        id: "s-2".into(),
        target_id: "t-1".into(),
        image: "127.0.0.1:5000/acme/app".into(),
        tag: "v2".into(),
        digest: "sha256:bb".into(),
        reason: ScanReason::DigestChanged as i32,
        status: ScanStatus::Completed as i32,
        requested_at: at(1_772_366_400),
        started_at: at(1_772_366_401),
        finished_at: at(1_772_366_404),
        counts: Some(SeverityCounts {
            critical: 1,
            high: 0,
            medium: 2,
            low: 0,
            unknown: 3,
        }),
        error: String::new(),
        attempt: 1,
        duration: Some(prost_types::Duration {
            seconds: 3,
            nanos: 250_000_000,
        }),
        new_issues: 4,
        fixed_issues: 2,
        reopened_issues: 0,
        database_version: "osv-2026-03-01".into(),
        previous_scan_id: String::new(),
    }
}

fn queued() -> Scan {
    Scan {
        id: "s-3".into(),
        reason: ScanReason::Daily as i32,
        status: ScanStatus::Queued as i32,
        started_at: None,
        finished_at: None,
        duration: None,
        counts: Some(SeverityCounts::default()),
        new_issues: 0,
        fixed_issues: 0,
        database_version: String::new(),
        ..completed()
    }
}

#[test]
fn the_listing_shows_status_reason_and_findings() {
    let views = vec![ScanView::from(queued()), ScanView::from(completed())];
    assert_eq!(
        output::render(&views, Format::Table).unwrap(),
        "ID   IMAGE                       STATUS     REASON          REQUESTED                \
         TOOK   FINDINGS                         NEW  FIXED\n\
         s-3  127.0.0.1:5000/acme/app:v2  queued     daily           2026-03-01 12:00:00 UTC  \
         -      -                                0    0\n\
         s-2  127.0.0.1:5000/acme/app:v2  completed  digest_changed  2026-03-01 12:00:00 UTC  \
         3.2 s  1 critical, 2 medium, 3 unknown  4    2\n"
    );
}

#[test]
fn show_lists_every_field() {
    let text = ScanView::from(completed()).table();
    assert_eq!(
        text,
        "id         s-2\n\
         target     t-1\n\
         image      127.0.0.1:5000/acme/app:v2\n\
         digest     sha256:bb\n\
         status     completed\n\
         reason     digest_changed\n\
         attempt    1\n\
         retry of   -\n\
         requested  2026-03-01 12:00:00 UTC\n\
         started    2026-03-01 12:00:01 UTC\n\
         finished   2026-03-01 12:00:04 UTC\n\
         took       3.2 s\n\
         findings   1 critical, 2 medium, 3 unknown\n\
         issues     4 new, 2 fixed, 0 reopened\n\
         database   osv-2026-03-01\n\
         error      -\n"
    );
}

#[test]
fn json_names_enums_in_lower_case_and_hides_counts_of_unfinished_scans() {
    let views = vec![ScanView::from(queued()), ScanView::from(completed())];
    let value: serde_json::Value =
        serde_json::from_str(&output::render(&views, Format::Json).unwrap()).unwrap();
    assert_eq!(value[0]["status"], "queued");
    assert_eq!(value[0]["counts"], serde_json::Value::Null);
    assert_eq!(value[1]["reason"], "digest_changed");
    assert_eq!(value[1]["duration_seconds"], 3.25);
    assert_eq!(
        value[1]["counts"],
        serde_json::json!({"critical": 1, "high": 0, "medium": 2, "low": 0, "unknown": 3})
    );
}

#[test]
fn a_clean_scan_found_none() {
    assert_eq!(Counts::from(SeverityCounts::default()).summary(), "none");
}
