//! The gRPC adapter: the scan history, read-only. No call starts a scan;
//! scans come only from changes and time.

mod page_token;

use std::time::{Duration, SystemTime};

use sea_orm::DatabaseConnection;
use tagwarden_bus::events::SeverityCounts;
use tagwarden_proto::scheduler::v1::scheduler_server::Scheduler as SchedulerApi;
use tagwarden_proto::scheduler::v1::{
    GetScanRequest, ListScansRequest, ListScansResponse, Scan, ScanStatus,
};
use tonic::{Request, Response, Status};
use tracing::{debug, error};

use crate::codes::{reason_from_code, reason_to_wire};
use crate::store::scan::{self, Model, ScanFilter, Status as StoredStatus, timestamp};

pub(crate) use tagwarden_proto::scheduler::v1::scheduler_server::SchedulerServer;

/// Scans per page when the caller does not say.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// Scans per page at most, whatever the caller asks.
const MAX_PAGE_SIZE: u32 = 500;

/// Serves `ListScans` and `GetScan` from the scheduler's store.
#[derive(Debug, Clone)]
pub(crate) struct HistoryApi {
    db: DatabaseConnection,
}

impl HistoryApi {
    /// An API over `db`.
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[tonic::async_trait]
impl SchedulerApi for HistoryApi {
    async fn list_scans(
        &self,
        request: Request<ListScansRequest>,
    ) -> Result<Response<ListScansResponse>, Status> {
        let request = request.into_inner();
        let filter = filter(&request)?;
        let after = page_token::decode(&request.page_token)?;
        let size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let page = scan::list(&self.db, &filter, after.as_ref(), size.into())
            .await
            .map_err(unavailable)?;
        debug!(
            returned = page.scans.len(),
            more = page.next.is_some(),
            "scans listed"
        );
        Ok(Response::new(ListScansResponse {
            scans: page.scans.into_iter().map(to_proto).collect(),
            next_page_token: page
                .next
                .as_ref()
                .map(page_token::encode)
                .unwrap_or_default(),
        }))
    }

    async fn get_scan(&self, request: Request<GetScanRequest>) -> Result<Response<Scan>, Status> {
        let id = request.into_inner().id;
        if id.is_empty() {
            return Err(Status::invalid_argument(
                "id is required: the scan id to show",
            ));
        }
        match scan::get(&self.db, &id).await.map_err(unavailable)? {
            Some(row) => Ok(Response::new(to_proto(row))),
            None => Err(Status::not_found(format!("no scan with id {id}"))),
        }
    }
}

/// The listing's filter, refusing values no scan can match by mistake.
fn filter(request: &ListScansRequest) -> Result<ScanFilter, Status> {
    let status = match ScanStatus::try_from(request.status) {
        Ok(ScanStatus::Unspecified) => None,
        Ok(status) => Some(from_proto_status(status)),
        Err(_) => {
            let message = format!("status {} is not a known scan status", request.status);
            return Err(Status::invalid_argument(message));
        }
    };
    let time = |field: &str, value: Option<prost_types::Timestamp>| {
        value
            .map(SystemTime::try_from)
            .transpose()
            .map_err(|_| Status::invalid_argument(format!("{field} is not a valid time")))
    };
    let (since, until) = (time("since", request.since)?, time("until", request.until)?);
    if let (Some(since), Some(until)) = (since, until)
        && since >= until
    {
        return Err(Status::invalid_argument("since must be before until"));
    }
    Ok(ScanFilter {
        target_id: Some(request.target_id.clone()).filter(|id| !id.is_empty()),
        status,
        since,
        until,
    })
}

fn from_proto_status(status: ScanStatus) -> StoredStatus {
    match status {
        ScanStatus::Queued | ScanStatus::Unspecified => StoredStatus::Queued,
        ScanStatus::Running => StoredStatus::Running,
        ScanStatus::Completed => StoredStatus::Completed,
        ScanStatus::Failed => StoredStatus::Failed,
    }
}

fn to_proto_status(word: &str) -> ScanStatus {
    match StoredStatus::parse(word) {
        Some(StoredStatus::Queued) => ScanStatus::Queued,
        Some(StoredStatus::Running) => ScanStatus::Running,
        Some(StoredStatus::Completed) => ScanStatus::Completed,
        Some(StoredStatus::Failed) => ScanStatus::Failed,
        None => ScanStatus::Unspecified,
    }
}

fn to_proto(row: Model) -> Scan {
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    let completed = row.status == StoredStatus::Completed.as_str();
    let counts = completed.then(|| SeverityCounts {
        critical: count(row.critical),
        high: count(row.high),
        medium: count(row.medium),
        low: count(row.low),
        unknown: count(row.unknown),
    });
    let duration = row
        .duration_ms
        .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
        .and_then(|d| prost_types::Duration::try_from(d).ok());
    Scan {
        status: to_proto_status(&row.status).into(),
        reason: reason_from_code(&row.reason).map_or(0, |r| reason_to_wire(r).into()),
        requested_at: Some(timestamp(row.requested_at_ms)),
        started_at: row.started_at_ms.map(timestamp),
        finished_at: row.finished_at_ms.map(timestamp),
        attempt: u32::try_from(row.attempt).unwrap_or(0),
        counts,
        duration,
        new_issues: count(row.new_issues),
        fixed_issues: count(row.fixed_issues),
        reopened_issues: count(row.reopened_issues),
        database_version: row.database_version.unwrap_or_default(),
        previous_scan_id: row.previous_scan_id.unwrap_or_default(),
        error: row.error.unwrap_or_default(),
        id: row.id,
        target_id: row.target_id,
        image: row.image,
        tag: row.tag,
        digest: row.digest,
    }
}

/// A store failure: logged whole, reported without internals.
fn unavailable(err: anyhow::Error) -> Status {
    error!(error = format!("{err:#}"), "scan history unreadable");
    Status::unavailable("the scan history cannot be read right now; try again shortly")
}
