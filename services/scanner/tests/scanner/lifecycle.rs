//! The issue lifecycle on real images: bookworm-app (vulnerable pip and
//! npm packages) opens issues; bookworm-app-fixed (urllib3 upgraded to
//! 1.26.18) fixes exactly urllib3's; bookworm-app again reopens them,
//! under the same issue ids.

use std::collections::{BTreeMap, BTreeSet};

use tagwarden_bus::Event;
use tagwarden_bus::events::ScanCompleted;
use tagwarden_proto::scanner::v1::{Issue, IssueState};
use tagwarden_testkit::LocalRegistry;

use crate::support::data::{IMAGE_PACKAGES, push_built, write_advisories};
use crate::support::{Api, Harness, Instance, Store, import, patient, scan_request, target_issues};

/// urllib3 1.26.4's vulnerabilities (primary id: the CVE; PYSEC alias).
const URLLIB3: [(&str, &str); 3] = [
    ("CVE-2021-33503", "PYSEC-2021-108"),
    ("CVE-2023-43804", "PYSEC-2023-192"),
    ("CVE-2023-45803", "PYSEC-2023-212"),
];

/// Everything else bookworm-app has, `package version id`; none of it
/// changes between v1 and v2.
const OTHERS: [&str; 27] = [
    "Django 3.2.12 CVE-2022-28346",
    "Django 3.2.12 CVE-2022-28347",
    "Django 3.2.12 CVE-2022-34265",
    "Django 3.2.12 CVE-2022-36359",
    "Django 3.2.12 CVE-2022-41323",
    "Django 3.2.12 CVE-2023-23969",
    "Django 3.2.12 CVE-2023-24580",
    "Django 3.2.12 CVE-2023-31047",
    "Django 3.2.12 CVE-2023-36053",
    "Django 3.2.12 CVE-2023-41164",
    "Django 3.2.12 CVE-2023-43665",
    "Django 3.2.12 CVE-2023-46695",
    "Django 3.2.12 CVE-2024-24680",
    "Django 3.2.12 CVE-2024-27351",
    "Jinja2 2.11.2 CVE-2020-28493",
    "certifi 2020.12.5 CVE-2022-23491",
    "certifi 2020.12.5 CVE-2023-37920",
    "idna 2.10 CVE-2024-3651",
    "jquery 3.3.1 CVE-2019-11358",
    "lodash 4.17.11 CVE-2019-10744",
    "minimist 0.0.8 CVE-2020-7598",
    "minimist 0.0.8 CVE-2021-44906",
    "minimist 1.2.0 CVE-2020-7598",
    "minimist 1.2.0 CVE-2021-44906",
    "requests 2.25.1 CVE-2023-32681",
    "sqlparse 0.4.1 CVE-2021-32839",
    "sqlparse 0.4.1 CVE-2023-30608",
];

fn label(issue: &Issue) -> String {
    let package = issue.package.as_ref().unwrap();
    let (name, version) = (&package.name, &package.installed_version);
    format!("{name} {version} {}", issue.vulnerability_id)
}

/// `label → (issue id, state)` of a target's issues.
fn by_label(issues: &[Issue]) -> BTreeMap<String, (String, IssueState)> {
    let map: BTreeMap<_, _> = issues
        .iter()
        .map(|i| (label(i), (i.id.clone(), i.state())))
        .collect();
    assert_eq!(map.len(), issues.len(), "two issues with one identity");
    map
}

fn urllib3_labels() -> BTreeSet<String> {
    URLLIB3
        .iter()
        .map(|(cve, _)| format!("urllib3 1.26.4 {cve}"))
        .collect()
}

async fn scan(
    harness: &mut Harness,
    api: &mut Api,
    id: &str,
    tag: &str,
    digest: &str,
    host: &str,
) -> (ScanCompleted, Vec<Issue>) {
    let request = scan_request(id, "target-1", host, "demo/app", tag, digest);
    harness.request(&request).await;
    let Event::ScanCompleted(done) = harness.results.of(id).await else {
        panic!("{id} failed: {:?}", harness.results.heard());
    };
    (done, target_issues(api, "target-1").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_opens_v2_fixes_urllib3_only_and_v1_again_reopens_them() {
    let mut harness = Harness::new(Store::Sqlite).await;
    let registry = LocalRegistry::start();
    let v1 = push_built(&registry, "bookworm-app", "demo/app:v1.0");
    let v2 = push_built(&registry, "bookworm-app-fixed", "demo/app:v1.1");
    let mut scanner = Instance::start(harness.config("a", patient())).await;
    let advisories = harness.dir.path().join("osv");
    write_advisories(&advisories, &IMAGE_PACKAGES, &[]);
    let version = import(&mut scanner.api, &advisories).await;
    let (api, host) = (&mut scanner.api, registry.host());

    // v1: every finding opens an issue.
    let (first, issues) = scan(&mut harness, api, "scan-1", "v1.0", &v1, host).await;
    let v1_issues = by_label(&issues);
    let expected: BTreeSet<String> = OTHERS
        .iter()
        .map(|s| (*s).to_owned())
        .chain(urllib3_labels())
        .collect();
    assert_eq!(v1_issues.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(
        v1_issues
            .values()
            .all(|(_, state)| *state == IssueState::Open)
    );
    assert_eq!(
        (first.new_issues, first.fixed_issues, first.reopened_issues),
        (30, 0, 0)
    );
    let counts = first.counts.unwrap();
    let total = counts.critical + counts.high + counts.medium + counts.low + counts.unknown;
    assert_eq!(total, 30);
    assert_eq!(first.database_version, version);
    for (cve, pysec) in URLLIB3 {
        let issue = issues.iter().find(|i| i.vulnerability_id == cve).unwrap();
        assert!(
            issue.aliases.iter().any(|a| a == pysec),
            "{cve}: {:?}",
            issue.aliases
        );
        assert_eq!(issue.first_seen_scan_id, "scan-1");
        let package = issue.package.as_ref().unwrap();
        assert_eq!(package.r#type, "python");
        assert!(package.layer.starts_with("sha256:"), "{package:?}");
    }

    // v2: exactly urllib3's three issues fixed, by scan-2; the rest open.
    let (second, issues) = scan(&mut harness, api, "scan-2", "v1.1", &v2, host).await;
    assert_eq!(
        (
            second.new_issues,
            second.fixed_issues,
            second.reopened_issues
        ),
        (0, 3, 0)
    );
    let v2_issues = by_label(&issues);
    assert_eq!(v2_issues.len(), 30);
    for (label, (id, state)) in &v2_issues {
        assert_eq!(id, &v1_issues[label].0, "{label} changed id");
        let fixed = urllib3_labels().contains(label);
        let expected = if fixed {
            IssueState::Fixed
        } else {
            IssueState::Open
        };
        assert_eq!(*state, expected, "{label}");
    }
    for issue in issues.iter().filter(|i| i.state() == IssueState::Fixed) {
        assert_eq!(issue.fixed_by_scan_id, "scan-2");
        assert!(issue.fixed_at.is_some());
    }

    // v1 again: the same three issues reopened by scan-3, nothing new.
    let (third, issues) = scan(&mut harness, api, "scan-3", "v1.0", &v1, host).await;
    assert_eq!(
        (third.new_issues, third.fixed_issues, third.reopened_issues),
        (0, 0, 3)
    );
    for (label, (id, state)) in by_label(&issues) {
        assert_eq!(id, v1_issues[&label].0, "{label} changed id");
        let reopened = urllib3_labels().contains(&label);
        let expected = if reopened {
            IssueState::Reopened
        } else {
            IssueState::Open
        };
        assert_eq!(state, expected, "{label}");
    }
    for issue in issues.iter().filter(|i| i.state() == IssueState::Reopened) {
        assert_eq!(issue.reopened_by_scan_id, "scan-3");
        assert_eq!(
            (issue.fixed_by_scan_id.as_str(), issue.fixed_at),
            ("", None)
        );
        assert_eq!(issue.last_seen_scan_id, "scan-3");
    }
    scanner.stop().await;
    harness.finish().await;
}
