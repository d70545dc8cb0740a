//! The API on PostgreSQL: listing with every filter and paging, one issue,
//! reports in JSON, SARIF and CycloneDX, the database status and import
//! errors, each refused input with the code a client can act on.

use tagwarden_bus::Event;
use tagwarden_proto::scanner::v1::{
    DatabaseStatusRequest, GetIssueRequest, GetScanReportRequest, ImportDatabaseRequest,
    IssueState, ListIssuesRequest, ReportFormat, Severity,
};
use tonic::Code;

use crate::support::small::{self, JINJA2_CVE, SmallImage, URLLIB3_CVES};
use crate::support::{Api, Harness, Instance, Store, import, issues, quick, scan_request};

async fn ids(api: &mut Api, request: ListIssuesRequest) -> Vec<String> {
    let mut ids: Vec<String> = issues(api, request)
        .await
        .into_iter()
        .map(|i| i.vulnerability_id)
        .collect();
    ids.sort();
    ids
}

async fn report(api: &mut Api, format: ReportFormat) -> serde_json::Value {
    let request = GetScanReportRequest {
        scan_id: "scan-1".into(),
        format: format.into(),
    };
    let report = api.get_scan_report(request).await.unwrap().into_inner();
    assert_eq!(
        report.format,
        i32::from(if format == ReportFormat::Unspecified {
            ReportFormat::Json
        } else {
            format
        })
    );
    serde_json::from_str(&report.document).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issues_reports_and_the_database_through_the_api() {
    let mut harness = Harness::new(Store::Postgres).await;
    let small = SmallImage::push();
    let scanner = Instance::start(harness.config("a", quick())).await;
    let mut api = scanner.api.clone();

    let none = api
        .database_status(DatabaseStatusRequest {})
        .await
        .unwrap_err();
    assert_eq!(none.code(), Code::FailedPrecondition);
    let empty = harness.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for source in [
        String::new(),
        "/nonexistent/osv".into(),
        empty.display().to_string(),
    ] {
        let status = api
            .import_database(ImportDatabaseRequest {
                source: source.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{source}: {status:?}");
    }
    let osv = small::advisories(harness.dir.path(), "osv", &[]);
    let version = import(&mut api, &osv).await;
    let status = api
        .database_status(DatabaseStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.version, version);
    assert!(status.advisory_count > 4);
    assert!(
        status.ecosystems.contains(&"PyPI".to_owned()),
        "{:?}",
        status.ecosystems
    );

    let host = small.registry.host();
    harness
        .request(&scan_request(
            "scan-1",
            "target-1",
            host,
            "team/app",
            "v1",
            &small.digest,
        ))
        .await;
    assert!(matches!(
        harness.results.of("scan-1").await,
        Event::ScanCompleted(_)
    ));

    let all = ListIssuesRequest::default();
    let mut every: Vec<String> = URLLIB3_CVES.iter().map(|s| (*s).to_owned()).collect();
    every.push(JINJA2_CVE.to_owned());
    every.sort();
    assert_eq!(ids(&mut api, all.clone()).await, every);
    let by = |f: fn(&mut ListIssuesRequest)| {
        let mut request = all.clone();
        f(&mut request);
        request
    };
    let urllib3 = by(|r| r.package = "URLLIB3".into());
    assert_eq!(ids(&mut api, urllib3).await, URLLIB3_CVES);
    let alias = by(|r| r.vulnerability_id = "PYSEC-2021-108".into());
    assert_eq!(ids(&mut api, alias).await, ["CVE-2021-33503"]);
    let primary = by(|r| r.vulnerability_id = JINJA2_CVE.into());
    assert_eq!(ids(&mut api, primary).await, [JINJA2_CVE]);
    assert_eq!(
        ids(&mut api, by(|r| r.target_id = "target-1".into())).await,
        every
    );
    assert!(
        ids(&mut api, by(|r| r.target_id = "target-2".into()))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&mut api, by(|r| r.scan_id = "scan-1".into())).await,
        every
    );
    assert_eq!(
        ids(&mut api, by(|r| r.state = IssueState::Open.into())).await,
        every
    );
    assert!(
        ids(&mut api, by(|r| r.state = IssueState::Fixed.into()))
            .await
            .is_empty()
    );

    // Severities: each issue is in exactly one level's listing.
    let listed = issues(&mut api, all.clone()).await;
    let mut per_level = 0;
    for level in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ] {
        let request = ListIssuesRequest {
            severities: vec![level.into()],
            ..all.clone()
        };
        let found = issues(&mut api, request).await;
        assert!(found.iter().all(|i| i.severity() == level));
        per_level += found.len();
    }
    assert_eq!(per_level, 4);
    // Most severe first.
    let ranks: Vec<i32> = listed.iter().map(|i| i.severity).collect();
    assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");

    // One by id, exactly as listed.
    let one = api
        .get_issue(GetIssueRequest {
            id: listed[0].id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one, listed[0]);
    let missing = api
        .get_issue(GetIssueRequest { id: "nope".into() })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // Refused input.
    let both = by(|r| {
        r.target_id = "t".into();
        r.scan_id = "s".into();
    });
    let bad_token = by(|r| r.page_token = "zz".into());
    for request in [both, bad_token] {
        let status = api.list_issues(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
    }

    // Reports.
    let json = report(&mut api, ReportFormat::Unspecified).await;
    assert_eq!(json["schema"], "tagwarden.scan-report/v1");
    assert_eq!(json["findings"].as_array().unwrap().len(), 4);
    let sarif = report(&mut api, ReportFormat::Sarif).await;
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 4);
    let bom = report(&mut api, ReportFormat::Cyclonedx).await;
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["vulnerabilities"].as_array().unwrap().len(), 4);
    let unknown = GetScanReportRequest {
        scan_id: "scan-9".into(),
        format: 0,
    };
    assert_eq!(
        api.get_scan_report(unknown).await.unwrap_err().code(),
        Code::NotFound
    );

    scanner.stop().await;
    harness.finish().await;
}
