//! The gRPC adapter: issues (listed, filtered, paged, one by one), scan
//! reports in the engine's formats, the advisory database's status, and
//! the admin call that imports a new database version.

mod convert;
mod page_token;

use sea_orm::DatabaseConnection;
use tagwarden_engine::advisory::DatabaseStatus;
use tagwarden_engine::report::Format;
use tagwarden_proto::scanner::v1::scanner_server::Scanner as ScannerApi;
use tagwarden_proto::scanner::v1::{
    DatabaseStatusRequest, DatabaseStatusResponse, GetIssueRequest, GetScanReportRequest,
    ImportDatabaseRequest, Issue, ListIssuesRequest, ListIssuesResponse, ReportFormat, ScanReport,
};
use tonic::{Request, Response, Status};
use tracing::{debug, error, info};

use crate::report::{self, ReportError};
use crate::store::issue;
use crate::updates::{UpdateError, Updater, redact_sources};
use crate::vulndb::ImportError;

pub(crate) use tagwarden_proto::scanner::v1::scanner_server::ScannerServer;

/// Issues per page when the caller does not say.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// Issues per page at most, whatever the caller asks.
const MAX_PAGE_SIZE: u32 = 500;

/// Serves the scanner API.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    db: DatabaseConnection,
    updater: Updater,
}

impl Api {
    pub(crate) fn new(db: DatabaseConnection, updater: Updater) -> Self {
        Self { db, updater }
    }
}

#[tonic::async_trait]
impl ScannerApi for Api {
    async fn list_issues(
        &self,
        request: Request<ListIssuesRequest>,
    ) -> Result<Response<ListIssuesResponse>, Status> {
        let request = request.into_inner();
        let filter = convert::filter(&request)?;
        let after = page_token::decode(&request.page_token)?;
        let size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let page = issue::list(&self.db, &filter, after.as_ref(), size.into())
            .await
            .map_err(unavailable)?;
        debug!(
            returned = page.issues.len(),
            more = page.next.is_some(),
            "issues listed"
        );
        Ok(Response::new(ListIssuesResponse {
            issues: page.issues.into_iter().map(convert::issue).collect(),
            next_page_token: page
                .next
                .as_ref()
                .map(page_token::encode)
                .unwrap_or_default(),
        }))
    }

    async fn get_issue(
        &self,
        request: Request<GetIssueRequest>,
    ) -> Result<Response<Issue>, Status> {
        let id = request.into_inner().id;
        if id.is_empty() {
            return Err(Status::invalid_argument(
                "id is required: the issue id to show",
            ));
        }
        match issue::get(&self.db, &id).await.map_err(unavailable)? {
            Some(row) => Ok(Response::new(convert::issue(row))),
            None => Err(Status::not_found(format!("no issue with id {id}"))),
        }
    }

    async fn get_scan_report(
        &self,
        request: Request<GetScanReportRequest>,
    ) -> Result<Response<ScanReport>, Status> {
        let request = request.into_inner();
        if request.scan_id.is_empty() {
            return Err(Status::invalid_argument(
                "scan_id is required: the scan to report",
            ));
        }
        let (wire, format) = match ReportFormat::try_from(request.format) {
            Ok(ReportFormat::Unspecified | ReportFormat::Json) => {
                (ReportFormat::Json, Format::Json)
            }
            Ok(ReportFormat::Sarif) => (ReportFormat::Sarif, Format::Sarif),
            Ok(ReportFormat::Cyclonedx) => (ReportFormat::Cyclonedx, Format::CycloneDx),
            Err(_) => {
                let message = format!("format {} is not JSON, SARIF or CYCLONEDX", request.format);
                return Err(Status::invalid_argument(message));
            }
        };
        let document = report::render(&self.db, &request.scan_id, format)
            .await
            .map_err(|e| match e {
                ReportError::NotFound(_) => Status::not_found(e.to_string()),
                ReportError::Failed { .. } => Status::failed_precondition(e.to_string()),
                ReportError::Store(err) => unavailable(err),
            })?;
        Ok(Response::new(ScanReport {
            scan_id: request.scan_id,
            format: wire.into(),
            document,
        }))
    }

    async fn database_status(
        &self,
        _: Request<DatabaseStatusRequest>,
    ) -> Result<Response<DatabaseStatusResponse>, Status> {
        match self.updater.vulndb.status() {
            Ok(Some(status)) => Ok(Response::new(status_message(&status))),
            Ok(None) => Err(Status::failed_precondition(
                "no advisory database has been imported yet; call ImportDatabase",
            )),
            Err(e) => {
                error!(error = %e, "advisory database unreadable");
                Err(Status::unavailable(format!(
                    "the advisory database cannot be read: {e}"
                )))
            }
        }
    }

    async fn import_database(
        &self,
        request: Request<ImportDatabaseRequest>,
    ) -> Result<Response<DatabaseStatusResponse>, Status> {
        let source = request.into_inner().source;
        if source.trim().is_empty() {
            return Err(Status::invalid_argument(
                "source is required: a directory, a zip file or an http(s) URL of OSV records",
            ));
        }
        info!(
            source = redact_sources(&source),
            "advisory database import requested"
        );
        match self.updater.import(&source).await {
            Ok(status) => Ok(Response::new(status_message(&status))),
            Err(UpdateError::Import(e)) if e.is_bad_source() => {
                Err(Status::invalid_argument(e.to_string()))
            }
            Err(UpdateError::Import(e @ ImportError::Download { .. })) => {
                Err(Status::unavailable(e.to_string()))
            }
            Err(UpdateError::Import(e)) => Err(Status::failed_precondition(e.to_string())),
            Err(UpdateError::Store(e)) => Err(unavailable(e)),
        }
    }
}

fn status_message(status: &DatabaseStatus) -> DatabaseStatusResponse {
    let imported_at = std::time::SystemTime::from(status.imported_at);
    DatabaseStatusResponse {
        version: status.version.to_string(),
        imported_at: Some(imported_at.into()),
        advisory_count: u64::try_from(status.advisories).unwrap_or(u64::MAX),
        ecosystems: status.ecosystems.keys().cloned().collect(),
    }
}

/// A store failure: logged whole, reported without internals.
fn unavailable(err: anyhow::Error) -> Status {
    error!(error = format!("{err:#}"), "scanner store unreadable");
    Status::unavailable("the scanner's store cannot be read right now; try again shortly")
}
