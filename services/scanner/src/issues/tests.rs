//! The lifecycle on plain values: v1 opens, v2 fixes one package's issues,
//! v1 again reopens them; identity across aliases, locations and versions.

use super::*;

fn package(name: &str, location: &str) -> PackageIdentity {
    PackageIdentity {
        kind: "python".into(),
        name: name.into(),
        location: location.into(),
    }
}

fn urllib3() -> PackageIdentity {
    package("urllib3", "/sp/urllib3-{version}.dist-info/METADATA")
}

fn jinja2() -> PackageIdentity {
    package("jinja2", "/sp/Jinja2-{version}.dist-info/METADATA")
}

fn seen(package: PackageIdentity, id: &str, aliases: &[&str]) -> Observation {
    Observation {
        package,
        vulnerability_id: id.into(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
    }
}

fn issue(id: &str, observation: &Observation, state: IssueState) -> KnownIssue {
    KnownIssue {
        id: id.into(),
        package: observation.package.clone(),
        vulnerability_id: observation.vulnerability_id.clone(),
        aliases: observation.aliases.clone(),
        state,
    }
}

/// Applies a diff the way the store does, with issue ids `i0`, `i1`…
fn apply(known: &mut Vec<KnownIssue>, found: &[Observation]) -> Diff {
    let diff = diff(known, found);
    let base = known.len();
    for (observation, outcome) in found.iter().zip(&diff.outcomes) {
        match outcome {
            Outcome::Opened(n) if known.len() == base + n => {
                let id = format!("i{}", base + n);
                known.push(issue(&id, observation, IssueState::Open));
            }
            Outcome::Opened(_) | Outcome::Seen(_) => {}
            Outcome::Reopened(id) => {
                let issue = known.iter_mut().find(|i| &i.id == id).unwrap();
                issue.state = IssueState::Reopened;
            }
        }
    }
    for id in &diff.fixed {
        known.iter_mut().find(|i| &i.id == id).unwrap().state = IssueState::Fixed;
    }
    diff
}

fn states(known: &[KnownIssue]) -> Vec<(&str, &str)> {
    known
        .iter()
        .map(|i| (i.id.as_str(), i.state.as_str()))
        .collect()
}

#[test]
fn v1_opens_v2_fixes_one_package_and_v1_again_reopens_it() {
    let v1 = [
        seen(urllib3(), "PYSEC-2021-108", &["CVE-2021-33503"]),
        seen(urllib3(), "PYSEC-2023-192", &[]),
        seen(jinja2(), "PYSEC-2021-66", &["CVE-2020-28493"]),
    ];
    let v2 = [seen(jinja2(), "PYSEC-2021-66", &["CVE-2020-28493"])];
    let mut known = Vec::new();

    let first = apply(&mut known, &v1);
    assert_eq!(
        first.outcomes,
        [Outcome::Opened(0), Outcome::Opened(1), Outcome::Opened(2)]
    );
    assert_eq!((first.opened, first.reopened, first.fixed.len()), (3, 0, 0));

    let second = apply(&mut known, &v2);
    assert_eq!(second.outcomes, [Outcome::Seen("i2".into())]);
    assert_eq!(second.fixed, ["i0", "i1"]);
    assert_eq!((second.opened, second.reopened), (0, 0));
    assert_eq!(
        states(&known),
        [("i0", "fixed"), ("i1", "fixed"), ("i2", "open")]
    );

    let third = apply(&mut known, &v1);
    assert_eq!(
        third.outcomes,
        [
            Outcome::Reopened("i0".into()),
            Outcome::Reopened("i1".into()),
            Outcome::Seen("i2".into())
        ]
    );
    assert_eq!((third.opened, third.reopened, third.fixed.len()), (0, 2, 0));
    assert_eq!(
        states(&known),
        [("i0", "reopened"), ("i1", "reopened"), ("i2", "open")]
    );

    // Found again while reopened: stays reopened, nothing counted.
    let fourth = apply(&mut known, &v1);
    assert_eq!(
        (fourth.opened, fourth.reopened, fourth.fixed.len()),
        (0, 0, 0)
    );
    assert_eq!(states(&known)[0], ("i0", "reopened"));
}

#[test]
fn a_fixed_issue_that_stays_absent_is_not_fixed_again() {
    let v1 = [seen(urllib3(), "PYSEC-2021-108", &[])];
    let mut known = Vec::new();
    apply(&mut known, &v1);
    assert_eq!(apply(&mut known, &[]).fixed, ["i0"]);
    assert!(apply(&mut known, &[]).fixed.is_empty());
    assert_eq!(states(&known), [("i0", "fixed")]);
}

#[test]
fn a_new_primary_id_is_the_same_issue_through_a_shared_alias() {
    let mut known = Vec::new();
    apply(
        &mut known,
        &[seen(urllib3(), "GHSA-q2q7-5pp4-w6pg", &["PYSEC-2021-108"])],
    );
    let renamed = [seen(
        urllib3(),
        "CVE-2021-33503",
        &["GHSA-q2q7-5pp4-w6pg", "PYSEC-2021-108"],
    )];
    let diff = apply(&mut known, &renamed);
    assert_eq!(diff.outcomes, [Outcome::Seen("i0".into())]);
    assert_eq!((diff.opened, diff.fixed.len()), (0, 0));
}

#[test]
fn one_old_issue_is_claimed_by_one_vulnerability_only() {
    let mut known = Vec::new();
    apply(&mut known, &[seen(urllib3(), "A", &["X", "Y"])]);
    // The merged record split in two: the first keeps the issue, the
    // second is new.
    let diff = apply(
        &mut known,
        &[seen(urllib3(), "B", &["X"]), seen(urllib3(), "C", &["Y"])],
    );
    assert_eq!(
        diff.outcomes,
        [Outcome::Seen("i0".into()), Outcome::Opened(0)]
    );
    assert_eq!(diff.opened, 1);
}

#[test]
fn an_exact_match_wins_over_an_alias_match() {
    let a = seen(urllib3(), "A", &["X"]);
    let b = seen(urllib3(), "B", &["X"]);
    let known = vec![
        issue("ia", &a, IssueState::Open),
        issue("ib", &b, IssueState::Open),
    ];
    let diff = diff(&known, &[b.clone(), a.clone()]);
    assert_eq!(
        diff.outcomes,
        [Outcome::Seen("ib".into()), Outcome::Seen("ia".into())]
    );
}

#[test]
fn the_same_package_at_two_locations_is_two_issues() {
    let top = package("minimist", "/app/node_modules/minimist/package.json");
    let nested = package(
        "minimist",
        "/app/node_modules/mkdirp/node_modules/minimist/package.json",
    );
    let mut known = Vec::new();
    let both = [
        seen(top.clone(), "GHSA-vh95-rmgr-6w4m", &[]),
        seen(nested, "GHSA-vh95-rmgr-6w4m", &[]),
    ];
    assert_eq!(apply(&mut known, &both).opened, 2);
    // Only the nested copy upgraded: only its issue is fixed.
    let diff = apply(&mut known, &[seen(top, "GHSA-vh95-rmgr-6w4m", &[])]);
    assert_eq!(diff.fixed, ["i1"]);
}

#[test]
fn the_same_finding_listed_twice_makes_one_issue() {
    let twice = [
        seen(urllib3(), "A", &[]),
        seen(urllib3(), "A", &[]),
        seen(jinja2(), "A", &[]),
    ];
    let diff = diff(&[], &twice);
    assert_eq!(
        diff.outcomes,
        [Outcome::Opened(0), Outcome::Opened(0), Outcome::Opened(1)]
    );
    assert_eq!(diff.opened, 2);
}

#[test]
fn a_scan_without_findings_of_a_new_target_does_nothing() {
    assert_eq!(diff(&[], &[]), Diff::default());
}

#[test]
fn states_round_trip_through_their_words() {
    for state in [IssueState::Open, IssueState::Fixed, IssueState::Reopened] {
        assert_eq!(IssueState::parse(state.as_str()), Some(state));
    }
    assert_eq!(IssueState::parse("closed"), None);
}
