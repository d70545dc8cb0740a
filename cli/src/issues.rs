//! `tagwardenctl issues`: the vulnerabilities found in targets, open or
//! fixed, with what to upgrade (scanner).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tagwarden_proto::scanner::v1::{
    GetIssueRequest, Issue, IssueState, ListIssuesRequest, Package, Severity,
};

use crate::client::Clients;
use crate::output::{self, Format, Render, Row};
use crate::paging::{self, Limit};
use crate::targets;

/// Vulnerabilities found in targets (scanner).
#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Table or JSON.
    #[arg(long, short, value_enum, default_value_t, global = true)]
    pub(crate) output: Format,
}

#[derive(Debug, PartialEq, clap::Subcommand)]
pub(crate) enum Command {
    /// Issues of every target, of one target, or of one scan.
    List(ListArgs),
    /// One issue in full, with remediation.
    Show {
        /// The issue's id.
        id: String,
    },
}

#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct ListArgs {
    /// Only this target's issues (its id or name).
    #[arg(long, conflicts_with = "scan")]
    pub(crate) target: Option<String>,
    /// Only the issues this scan found, as they stand now.
    #[arg(long)]
    pub(crate) scan: Option<String>,
    /// Only these severities: `--severity critical,high` or repeated.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub(crate) severity: Vec<SeverityArg>,
    /// Only issues in this state; `open` includes reopened ones.
    #[arg(long, value_enum)]
    pub(crate) state: Option<StateArg>,
    /// Only issues of this package (exact name, any case).
    #[arg(long)]
    pub(crate) package: Option<String>,
    /// Only this vulnerability (its id or an alias: CVE-…, GHSA-…).
    #[arg(long = "vuln", value_name = "ID")]
    pub(crate) vulnerability: Option<String>,
    #[command(flatten)]
    pub(crate) limit: Limit,
}

/// A severity to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Unknown,
}

impl From<SeverityArg> for Severity {
    fn from(severity: SeverityArg) -> Self {
        match severity {
            SeverityArg::Critical => Self::Critical,
            SeverityArg::High => Self::High,
            SeverityArg::Medium => Self::Medium,
            SeverityArg::Low => Self::Low,
            SeverityArg::Unknown => Self::Unknown,
        }
    }
}

/// An issue state to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StateArg {
    Open,
    Fixed,
    Reopened,
}

impl From<StateArg> for IssueState {
    fn from(state: StateArg) -> Self {
        match state {
            StateArg::Open => Self::Open,
            StateArg::Fixed => Self::Fixed,
            StateArg::Reopened => Self::Reopened,
        }
    }
}

impl ListArgs {
    /// The request's filters; paging is added per page.
    fn request(&self, target_id: String) -> ListIssuesRequest {
        ListIssuesRequest {
            target_id,
            scan_id: self.scan.clone().unwrap_or_default(),
            severities: self
                .severity
                .iter()
                .map(|s| Severity::from(*s) as i32)
                .collect(),
            state: self.state.map_or(0, |s| IssueState::from(s) as i32),
            package: self.package.clone().unwrap_or_default(),
            vulnerability_id: self.vulnerability.clone().unwrap_or_default(),
            ..ListIssuesRequest::default()
        }
    }
}

pub(crate) async fn run(args: Args, clients: &Clients) -> anyhow::Result<()> {
    let scanner = clients.scanner(false).await?;
    match args.command {
        Command::List(list) => {
            let target_id = match &list.target {
                Some(key) => targets::resolve_id(clients, key).await?,
                None => String::new(),
            };
            let base = list.request(target_id);
            let collected = paging::collect(list.limit.limit, |page_token, page_size| {
                let mut scanner = scanner.clone();
                let request = ListIssuesRequest {
                    page_size,
                    page_token,
                    ..base.clone()
                };
                async move {
                    let page = scanner.list_issues(request).await?.into_inner();
                    Ok((page.issues, page.next_page_token))
                }
            })
            .await?;
            let views: Vec<IssueView> = collected.items.into_iter().map(IssueView::from).collect();
            output::show(&views, args.output)?;
            if collected.more {
                eprintln!("{}", paging::more_note(views.len()));
            }
            Ok(())
        }
        Command::Show { id } => {
            let issue = scanner.clone().get_issue(GetIssueRequest { id }).await?;
            output::show(&IssueView::from(issue.into_inner()), args.output)
        }
    }
}

/// An issue as shown.
#[derive(Debug, Serialize)]
pub(crate) struct IssueView {
    pub(crate) id: String,
    pub(crate) target_id: String,
    pub(crate) vulnerability_id: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) summary: String,
    pub(crate) severity: String,
    /// Unset when no CVSS score is known.
    pub(crate) cvss_score: Option<f64>,
    pub(crate) cvss_vector: String,
    pub(crate) package: Option<PackageView>,
    pub(crate) fixed_version: String,
    pub(crate) remediation: String,
    pub(crate) state: String,
    pub(crate) first_seen_at: Option<DateTime<Utc>>,
    pub(crate) first_seen_scan_id: String,
    pub(crate) fixed_at: Option<DateTime<Utc>>,
    pub(crate) fixed_by_scan_id: String,
    pub(crate) reopened_at: Option<DateTime<Utc>>,
    pub(crate) reopened_by_scan_id: String,
    pub(crate) last_seen_at: Option<DateTime<Utc>>,
    pub(crate) last_seen_scan_id: String,
}

/// The affected package.
#[derive(Debug, Serialize)]
pub(crate) struct PackageView {
    pub(crate) name: String,
    pub(crate) source_name: String,
    pub(crate) installed_version: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) path: String,
    pub(crate) layer: String,
}

impl From<Package> for PackageView {
    fn from(p: Package) -> Self {
        Self {
            name: p.name,
            source_name: p.source_name,
            installed_version: p.installed_version,
            kind: p.r#type,
            path: p.path,
            layer: p.layer,
        }
    }
}

impl From<Issue> for IssueView {
    fn from(issue: Issue) -> Self {
        let severity = Severity::try_from(issue.severity).unwrap_or_default();
        let state = IssueState::try_from(issue.state).unwrap_or_default();
        Self {
            severity: output::enum_name(severity.as_str_name(), "SEVERITY_"),
            state: output::enum_name(state.as_str_name(), "ISSUE_STATE_"),
            cvss_score: Some(issue.cvss_score).filter(|score| *score > 0.0),
            first_seen_at: output::time(issue.first_seen_at.as_ref()),
            fixed_at: output::time(issue.fixed_at.as_ref()),
            reopened_at: output::time(issue.reopened_at.as_ref()),
            last_seen_at: output::time(issue.last_seen_at.as_ref()),
            package: issue.package.map(PackageView::from),
            id: issue.id,
            target_id: issue.target_id,
            vulnerability_id: issue.vulnerability_id,
            aliases: issue.aliases,
            summary: issue.summary,
            cvss_vector: issue.cvss_vector,
            fixed_version: issue.fixed_version,
            remediation: issue.remediation,
            first_seen_scan_id: issue.first_seen_scan_id,
            fixed_by_scan_id: issue.fixed_by_scan_id,
            reopened_by_scan_id: issue.reopened_by_scan_id,
            last_seen_scan_id: issue.last_seen_scan_id,
        }
    }
}

impl IssueView {
    fn package_cell(&self, field: fn(&PackageView) -> &str) -> String {
        self.package
            .as_ref()
            .map_or_else(output::dash, |p| output::or_dash(field(p)))
    }

    fn fixed_in(&self) -> String {
        if self.fixed_version.is_empty() {
            "no fix".to_owned()
        } else {
            self.fixed_version.clone()
        }
    }
}

impl Row for IssueView {
    const HEADER: &'static [&'static str] = &[
        "ID",
        "VULNERABILITY",
        "SEVERITY",
        "PACKAGE",
        "INSTALLED",
        "FIXED IN",
        "STATE",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.vulnerability_id.clone(),
            self.severity.clone(),
            self.package_cell(|p| &p.name),
            self.package_cell(|p| &p.installed_version),
            self.fixed_in(),
            self.state.clone(),
        ]
    }
}

impl Render for IssueView {
    fn table(&self) -> String {
        let cvss = match (self.cvss_score, self.cvss_vector.as_str()) {
            (Some(score), "") => format!("{score:.1}"),
            (Some(score), vector) => format!("{score:.1} {vector}"),
            (None, vector) => output::or_dash(vector),
        };
        output::record(&[
            ("id", self.id.clone()),
            ("vulnerability", self.vulnerability_id.clone()),
            ("aliases", output::or_dash(&self.aliases.join(", "))),
            ("summary", output::or_dash(&self.summary)),
            ("severity", self.severity.clone()),
            ("cvss", cvss),
            ("package", self.package_cell(|p| &p.name)),
            ("source package", self.package_cell(|p| &p.source_name)),
            ("installed", self.package_cell(|p| &p.installed_version)),
            ("type", self.package_cell(|p| &p.kind)),
            ("path", self.package_cell(|p| &p.path)),
            ("layer", self.package_cell(|p| &p.layer)),
            ("fixed in", self.fixed_in()),
            ("remediation", output::or_dash(&self.remediation)),
            ("state", self.state.clone()),
            ("target", self.target_id.clone()),
            (
                "first seen",
                by_scan(self.first_seen_at, &self.first_seen_scan_id),
            ),
            (
                "last seen",
                by_scan(self.last_seen_at, &self.last_seen_scan_id),
            ),
            ("fixed", by_scan(self.fixed_at, &self.fixed_by_scan_id)),
            (
                "reopened",
                by_scan(self.reopened_at, &self.reopened_by_scan_id),
            ),
        ])
    }
}

/// `2026-03-01 12:00:00 UTC by scan S`, or `-` when it never happened.
fn by_scan(at: Option<DateTime<Utc>>, scan: &str) -> String {
    match (at, scan) {
        (None, _) => output::dash(),
        (at, "") => output::when(at),
        (at, scan) => format!("{} by scan {scan}", output::when(at)),
    }
}

#[cfg(test)]
mod tests;
