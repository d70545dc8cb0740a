//! `tagwardenctl scans`: the scan history the scheduler keeps. Scans are
//! never started by hand; this only shows what happened and why.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tagwarden_proto::events::v1::{ScanReason, SeverityCounts};
use tagwarden_proto::scheduler::v1::{GetScanRequest, ListScansRequest, Scan, ScanStatus};

use crate::client::Clients;
use crate::output::{self, Format, Render, Row};
use crate::paging::{self, Limit};
use crate::targets;
use crate::when::{self, TimeArg};

/// Scan history (scheduler).
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
    /// Scans, newest first.
    List(ListArgs),
    /// One scan in full.
    Show {
        /// The scan's id.
        id: String,
    },
}

#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct ListArgs {
    /// Only this target's scans (its id or name), deleted targets too.
    #[arg(long)]
    pub(crate) target: Option<String>,
    /// Only scans in this status.
    #[arg(long, value_enum)]
    pub(crate) status: Option<StatusArg>,
    /// Only scans requested at or after this time (RFC 3339, a date, or an
    /// age such as 24h or 7d).
    #[arg(long)]
    pub(crate) since: Option<TimeArg>,
    /// Only scans requested before this time.
    #[arg(long)]
    pub(crate) until: Option<TimeArg>,
    #[command(flatten)]
    pub(crate) limit: Limit,
}

/// The statuses a listing can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StatusArg {
    Queued,
    Running,
    Completed,
    Failed,
}

impl From<StatusArg> for ScanStatus {
    fn from(status: StatusArg) -> Self {
        match status {
            StatusArg::Queued => Self::Queued,
            StatusArg::Running => Self::Running,
            StatusArg::Completed => Self::Completed,
            StatusArg::Failed => Self::Failed,
        }
    }
}

pub(crate) async fn run(args: Args, clients: &Clients) -> anyhow::Result<()> {
    let scheduler = clients.scheduler().await?;
    match args.command {
        Command::List(list) => {
            let target_id = match &list.target {
                Some(key) => targets::resolve_id(clients, key).await?,
                None => String::new(),
            };
            let now = Utc::now();
            let base = ListScansRequest {
                target_id,
                status: list.status.map_or(0, |s| ScanStatus::from(s) as i32),
                since: list.since.map(|t| when::timestamp(t.at(now))),
                until: list.until.map(|t| when::timestamp(t.at(now))),
                ..ListScansRequest::default()
            };
            let collected = paging::collect(list.limit.limit, |page_token, page_size| {
                let mut scheduler = scheduler.clone();
                let request = ListScansRequest {
                    page_size,
                    page_token,
                    ..base.clone()
                };
                async move {
                    let page = scheduler.list_scans(request).await?.into_inner();
                    Ok((page.scans, page.next_page_token))
                }
            })
            .await?;
            let views: Vec<ScanView> = collected.items.into_iter().map(ScanView::from).collect();
            output::show(&views, args.output)?;
            if collected.more {
                eprintln!("{}", paging::more_note(views.len()));
            }
            Ok(())
        }
        Command::Show { id } => {
            let scan = scheduler.clone().get_scan(GetScanRequest { id }).await?;
            output::show(&ScanView::from(scan.into_inner()), args.output)
        }
    }
}

/// A scan as shown.
#[derive(Debug, Serialize)]
pub(crate) struct ScanView {
    pub(crate) id: String,
    pub(crate) target_id: String,
    pub(crate) image: String,
    pub(crate) tag: String,
    pub(crate) digest: String,
    pub(crate) reason: String,
    pub(crate) status: String,
    pub(crate) attempt: u32,
    pub(crate) previous_scan_id: String,
    pub(crate) requested_at: Option<DateTime<Utc>>,
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    pub(crate) duration_seconds: Option<f64>,
    pub(crate) counts: Option<Counts>,
    pub(crate) new_issues: u32,
    pub(crate) fixed_issues: u32,
    pub(crate) reopened_issues: u32,
    pub(crate) database_version: String,
    pub(crate) error: String,
}

/// Findings by severity.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) critical: u32,
    pub(crate) high: u32,
    pub(crate) medium: u32,
    pub(crate) low: u32,
    pub(crate) unknown: u32,
}

impl From<SeverityCounts> for Counts {
    fn from(c: SeverityCounts) -> Self {
        Self {
            critical: c.critical,
            high: c.high,
            medium: c.medium,
            low: c.low,
            unknown: c.unknown,
        }
    }
}

impl Counts {
    /// `1 critical, 3 low`: the severities found, most severe first.
    pub(crate) fn summary(&self) -> String {
        let parts: Vec<String> = [
            (self.critical, "critical"),
            (self.high, "high"),
            (self.medium, "medium"),
            (self.low, "low"),
            (self.unknown, "unknown"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

impl From<Scan> for ScanView {
    fn from(scan: Scan) -> Self {
        let reason = ScanReason::try_from(scan.reason).unwrap_or_default();
        let status = ScanStatus::try_from(scan.status).unwrap_or_default();
        let duration = scan
            .duration
            .map(|d| d.seconds as f64 + f64::from(d.nanos) / 1e9);
        Self {
            reason: output::enum_name(reason.as_str_name(), "SCAN_REASON_"),
            status: output::enum_name(status.as_str_name(), "SCAN_STATUS_"),
            requested_at: output::time(scan.requested_at.as_ref()),
            started_at: output::time(scan.started_at.as_ref()),
            finished_at: output::time(scan.finished_at.as_ref()),
            duration_seconds: duration,
            // Counts mean something only once the scanner has reported.
            counts: scan
                .counts
                .filter(|_| status == ScanStatus::Completed)
                .map(Counts::from),
            id: scan.id,
            target_id: scan.target_id,
            image: scan.image,
            tag: scan.tag,
            digest: scan.digest,
            attempt: scan.attempt,
            previous_scan_id: scan.previous_scan_id,
            new_issues: scan.new_issues,
            fixed_issues: scan.fixed_issues,
            reopened_issues: scan.reopened_issues,
            database_version: scan.database_version,
            error: scan.error,
        }
    }
}

impl ScanView {
    fn image_tag(&self) -> String {
        match self.tag.as_str() {
            "" => self.image.clone(),
            tag => format!("{}:{tag}", self.image),
        }
    }

    fn findings(&self) -> String {
        self.counts.map_or_else(output::dash, |c| c.summary())
    }

    fn took(&self) -> String {
        self.duration_seconds
            .map_or_else(output::dash, |s| format!("{s:.1} s"))
    }
}

impl Row for ScanView {
    const HEADER: &'static [&'static str] = &[
        "ID",
        "IMAGE",
        "STATUS",
        "REASON",
        "REQUESTED",
        "TOOK",
        "FINDINGS",
        "NEW",
        "FIXED",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.image_tag(),
            self.status.clone(),
            self.reason.clone(),
            output::when(self.requested_at),
            self.took(),
            self.findings(),
            self.new_issues.to_string(),
            self.fixed_issues.to_string(),
        ]
    }
}

impl Render for ScanView {
    fn table(&self) -> String {
        output::record(&[
            ("id", self.id.clone()),
            ("target", self.target_id.clone()),
            ("image", self.image_tag()),
            ("digest", output::or_dash(&self.digest)),
            ("status", self.status.clone()),
            ("reason", self.reason.clone()),
            ("attempt", self.attempt.to_string()),
            ("retry of", output::or_dash(&self.previous_scan_id)),
            ("requested", output::when(self.requested_at)),
            ("started", output::when(self.started_at)),
            ("finished", output::when(self.finished_at)),
            ("took", self.took()),
            ("findings", self.findings()),
            (
                "issues",
                format!(
                    "{} new, {} fixed, {} reopened",
                    self.new_issues, self.fixed_issues, self.reopened_issues
                ),
            ),
            ("database", output::or_dash(&self.database_version)),
            ("error", output::or_dash(&self.error)),
        ])
    }
}

#[cfg(test)]
mod tests;
