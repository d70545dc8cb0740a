//! Between the API's messages and the store's rows.

use tagwarden_proto::scanner::v1::{
    Issue, IssueState as WireState, ListIssuesRequest, Package, Severity as WireSeverity,
};
use tonic::Status;

use crate::issues::IssueState;
use crate::store::issue::{IssueFilter, Model, StateFilter};
use crate::store::timestamp;

/// The listing's filter, refusing values no issue can match by mistake.
pub(super) fn filter(request: &ListIssuesRequest) -> Result<IssueFilter, Status> {
    let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let (target_id, scan_id) = (given(&request.target_id), given(&request.scan_id));
    if target_id.is_some() && scan_id.is_some() {
        return Err(Status::invalid_argument(
            "give target_id or scan_id, not both: a scan belongs to one target",
        ));
    }
    let severities = request
        .severities
        .iter()
        .map(|&value| severity_word(value))
        .collect::<Result<_, _>>()?;
    let state = match WireState::try_from(request.state) {
        Ok(WireState::Unspecified) => None,
        Ok(WireState::Open) => Some(StateFilter::Active),
        Ok(WireState::Reopened) => Some(StateFilter::Reopened),
        Ok(WireState::Fixed) => Some(StateFilter::Fixed),
        Err(_) => {
            let message = format!("state {} is not a known issue state", request.state);
            return Err(Status::invalid_argument(message));
        }
    };
    Ok(IssueFilter {
        target_id,
        scan_id,
        severities,
        state,
        package: given(&request.package),
        vulnerability_id: given(&request.vulnerability_id),
    })
}

fn severity_word(value: i32) -> Result<String, Status> {
    let word = match WireSeverity::try_from(value) {
        Ok(WireSeverity::Critical) => "critical",
        Ok(WireSeverity::High) => "high",
        Ok(WireSeverity::Medium) => "medium",
        Ok(WireSeverity::Low) => "low",
        Ok(WireSeverity::Unknown) => "unknown",
        Ok(WireSeverity::Unspecified) | Err(_) => {
            return Err(Status::invalid_argument(format!(
                "severity {value} is not one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN"
            )));
        }
    };
    Ok(word.to_owned())
}

fn severity(word: &str) -> WireSeverity {
    match word {
        "critical" => WireSeverity::Critical,
        "high" => WireSeverity::High,
        "medium" => WireSeverity::Medium,
        "low" => WireSeverity::Low,
        _ => WireSeverity::Unknown,
    }
}

fn state(word: &str) -> WireState {
    match IssueState::parse(word) {
        Some(IssueState::Open) => WireState::Open,
        Some(IssueState::Fixed) => WireState::Fixed,
        Some(IssueState::Reopened) => WireState::Reopened,
        None => WireState::Unspecified,
    }
}

/// An issue as the API shows it.
pub(super) fn issue(row: Model) -> Issue {
    let aliases = serde_json::from_str(&row.aliases).unwrap_or_default();
    Issue {
        severity: severity(&row.severity).into(),
        state: state(&row.state).into(),
        cvss_score: row.cvss_score.unwrap_or_default(),
        cvss_vector: row.cvss_vector.unwrap_or_default(),
        package: Some(Package {
            name: row.package_name,
            source_name: row.source_name.unwrap_or_default(),
            installed_version: row.installed_version,
            r#type: row.package_kind,
            path: row.path,
            layer: row.layer.unwrap_or_default(),
        }),
        fixed_version: row.fixed_version.unwrap_or_default(),
        remediation: row.remediation,
        first_seen_at: Some(timestamp(row.first_seen_at_ms)),
        first_seen_scan_id: row.first_seen_scan_id,
        fixed_at: row.fixed_at_ms.map(timestamp),
        fixed_by_scan_id: row.fixed_by_scan_id.unwrap_or_default(),
        summary: row.summary.unwrap_or_default(),
        reopened_at: row.reopened_at_ms.map(timestamp),
        reopened_by_scan_id: row.reopened_by_scan_id.unwrap_or_default(),
        last_seen_at: Some(timestamp(row.last_seen_at_ms)),
        last_seen_scan_id: row.last_seen_scan_id,
        aliases,
        id: row.id,
        target_id: row.target_id,
        vulnerability_id: row.vulnerability_id,
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn open_means_everything_not_fixed() {
        let request = ListIssuesRequest {
            target_id: "t-1".into(),
            state: WireState::Open.into(),
            severities: vec![WireSeverity::High.into(), WireSeverity::Critical.into()],
            package: " urllib3 ".into(),
            ..ListIssuesRequest::default()
        };
        let filter = filter(&request).unwrap();
        assert_eq!(filter.state, Some(StateFilter::Active));
        assert_eq!(filter.severities, ["high", "critical"]);
        assert_eq!(filter.package.as_deref(), Some("urllib3"));
        assert_eq!(filter.scan_id, None);
    }

    #[test]
    fn contradictory_or_unknown_values_are_invalid_arguments() {
        let both = ListIssuesRequest {
            target_id: "t".into(),
            scan_id: "s".into(),
            ..ListIssuesRequest::default()
        };
        let unspecified = ListIssuesRequest {
            severities: vec![0],
            ..ListIssuesRequest::default()
        };
        let unknown_state = ListIssuesRequest {
            state: 42,
            ..ListIssuesRequest::default()
        };
        for request in [both, unspecified, unknown_state] {
            assert_eq!(filter(&request).unwrap_err().code(), Code::InvalidArgument);
        }
    }
}
