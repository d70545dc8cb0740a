//! Stand-ins for the discovery and scanner APIs, behind the real auth
//! interceptor, serving fixed records in small pages and keeping every
//! request, so a test sees what the binary asked for and how it paged.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tagwarden_proto::discovery::v1 as discovery;
use tagwarden_proto::discovery::v1::discovery_server::{Discovery, DiscoveryServer};
use tagwarden_proto::scanner::v1 as scanner;
use tagwarden_proto::scanner::v1::scanner_server::{Scanner, ScannerServer};
use tagwarden_runtime::auth::AuthInterceptor;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::support::{REGISTRY, TOKEN};

/// The most rows a stand-in returns per page, whatever was asked.
const PAGE: usize = 2;

/// 2026-03-01 12:00 UTC minus `hours`.
pub(crate) fn hours_before(hours: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: 1_772_366_400 - hours * 3600,
        nanos: 0,
    })
}

/// What the stand-ins were asked.
#[derive(Debug, Default)]
pub(crate) struct Asked {
    pub(crate) images: Mutex<Vec<discovery::ListImagesRequest>>,
    pub(crate) issues: Mutex<Vec<scanner::ListIssuesRequest>>,
}

/// Both stand-ins on one port until dropped.
pub(crate) struct Stubs {
    pub(crate) addr: SocketAddr,
    pub(crate) asked: Arc<Asked>,
    shutdown: CancellationToken,
}

impl Drop for Stubs {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts both stand-ins on a free loopback port.
pub(crate) async fn start() -> Stubs {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let asked = Arc::new(Asked::default());
    let auth = AuthInterceptor::new(TOKEN.to_owned().into());
    let stub = Stub {
        asked: asked.clone(),
    };
    let shutdown = CancellationToken::new();
    let server = tonic::transport::Server::builder()
        .add_service(DiscoveryServer::with_interceptor(
            stub.clone(),
            auth.clone(),
        ))
        .add_service(ScannerServer::with_interceptor(stub, auth))
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            shutdown.clone().cancelled_owned(),
        );
    tokio::spawn(server);
    Stubs {
        addr,
        asked,
        shutdown,
    }
}

#[derive(Debug, Clone)]
struct Stub {
    asked: Arc<Asked>,
}

/// Rows `token..` of `all`, at most `size` and at most [`PAGE`], and the
/// next token.
fn page<T: Clone>(all: &[T], token: &str, size: u32) -> Result<(Vec<T>, String), Status> {
    let start: usize = match token {
        "" => 0,
        text => text
            .parse()
            .map_err(|_| Status::invalid_argument("bad page token"))?,
    };
    let size = (size as usize).clamp(1, PAGE);
    let end = (start + size).min(all.len());
    let next = if end < all.len() {
        end.to_string()
    } else {
        String::new()
    };
    Ok((all[start..end].to_vec(), next))
}

pub(crate) fn integration() -> discovery::Integration {
    discovery::Integration {
        id: "i-1".into(),
        name: "local".into(),
        provider: "oci".into(),
        account: String::new(),
        registry: REGISTRY.into(),
        settings: Default::default(),
        credential_ref: String::new(),
        last_sync: Some(sync()),
    }
}

fn sync() -> discovery::SyncResult {
    discovery::SyncResult {
        started_at: hours_before(1),
        finished_at: hours_before(1).map(|mut t| {
            t.nanos = 250_000_000;
            t
        }),
        ok: true,
        error: String::new(),
        repositories: 1,
        tags: 5,
        discovered: 1,
        removed: 0,
    }
}

/// Five tags of acme/app, v5 pushed last; v5 and v4 covered by a target.
pub(crate) fn images() -> Vec<discovery::ImageRow> {
    (1..=5)
        .rev()
        .map(|n| discovery::ImageRow {
            repository: "acme/app".into(),
            registry: REGISTRY.into(),
            tag: format!("v{n}"),
            digest: format!("sha256:{}", n.to_string().repeat(64)),
            pushed_at: hours_before(5 - i64::from(n)),
            covered_by_target: n >= 4,
            integration_id: "i-1".into(),
            provider: "oci".into(),
            account_name: "local".into(),
            ..Default::default()
        })
        .collect()
}

/// Three issues of one target; the openssl one fixed.
pub(crate) fn issues() -> Vec<scanner::Issue> {
    let issue = |id: &str,
                 vuln: &str,
                 severity: scanner::Severity,
                 name: &str,
                 version: &str,
                 fixed: &str| {
        scanner::Issue {
            id: id.into(),
            target_id: "t-1".into(),
            vulnerability_id: vuln.into(),
            severity: severity as i32,
            package: Some(scanner::Package {
                name: name.into(),
                installed_version: version.into(),
                r#type: "deb".into(),
                ..Default::default()
            }),
            fixed_version: fixed.into(),
            state: scanner::IssueState::Open as i32,
            first_seen_at: hours_before(2),
            first_seen_scan_id: "s-1".into(),
            ..Default::default()
        }
    };
    let mut fixed = issue(
        "is-3",
        "CVE-2024-5535",
        scanner::Severity::Critical,
        "libssl3",
        "3.0.11-1~deb12u2",
        "3.0.15-1~deb12u1",
    );
    fixed.state = scanner::IssueState::Fixed as i32;
    fixed.fixed_at = hours_before(0);
    fixed.fixed_by_scan_id = "s-2".into();
    vec![
        issue(
            "is-1",
            "CVE-2023-4911",
            scanner::Severity::High,
            "libc6",
            "2.36-9",
            "2.36-9+deb12u3",
        ),
        issue(
            "is-2",
            "CVE-2024-0001",
            scanner::Severity::Low,
            "zlib1g",
            "1:1.2.13",
            "",
        ),
        fixed,
    ]
}

#[tonic::async_trait]
impl Discovery for Stub {
    async fn add_integration(
        &self,
        request: Request<discovery::AddIntegrationRequest>,
    ) -> Result<Response<discovery::Integration>, Status> {
        let request = request.into_inner();
        Ok(Response::new(discovery::Integration {
            id: "i-2".into(),
            name: request.name,
            provider: request.provider,
            account: String::new(),
            registry: request.registry,
            settings: request.settings,
            credential_ref: request.credential_ref,
            last_sync: None,
        }))
    }

    async fn list_integrations(
        &self,
        _request: Request<discovery::ListIntegrationsRequest>,
    ) -> Result<Response<discovery::ListIntegrationsResponse>, Status> {
        Ok(Response::new(discovery::ListIntegrationsResponse {
            integrations: vec![integration()],
        }))
    }

    async fn remove_integration(
        &self,
        request: Request<discovery::RemoveIntegrationRequest>,
    ) -> Result<Response<discovery::RemoveIntegrationResponse>, Status> {
        match request.into_inner().id.as_str() {
            "i-1" => Ok(Response::new(discovery::RemoveIntegrationResponse {})),
            id => Err(Status::not_found(format!("no integration {id}"))),
        }
    }

    async fn refresh(
        &self,
        request: Request<discovery::RefreshRequest>,
    ) -> Result<Response<discovery::SyncResult>, Status> {
        match request.into_inner().integration_id.as_str() {
            "i-1" => Ok(Response::new(sync())),
            id => Err(Status::not_found(format!("no integration {id}"))),
        }
    }

    async fn list_images(
        &self,
        request: Request<discovery::ListImagesRequest>,
    ) -> Result<Response<discovery::ListImagesResponse>, Status> {
        let request = request.into_inner();
        let (images, next_page_token) = page(&images(), &request.page_token, request.page_size)?;
        self.asked.images.lock().unwrap().push(request);
        Ok(Response::new(discovery::ListImagesResponse {
            images,
            next_page_token,
        }))
    }
}

#[tonic::async_trait]
impl Scanner for Stub {
    async fn list_issues(
        &self,
        request: Request<scanner::ListIssuesRequest>,
    ) -> Result<Response<scanner::ListIssuesResponse>, Status> {
        let request = request.into_inner();
        let (issues, next_page_token) = page(&issues(), &request.page_token, request.page_size)?;
        self.asked.issues.lock().unwrap().push(request);
        Ok(Response::new(scanner::ListIssuesResponse {
            issues,
            next_page_token,
        }))
    }

    async fn get_issue(
        &self,
        request: Request<scanner::GetIssueRequest>,
    ) -> Result<Response<scanner::Issue>, Status> {
        let id = request.into_inner().id;
        issues()
            .into_iter()
            .find(|issue| issue.id == id)
            .map(Response::new)
            .ok_or_else(|| Status::not_found(format!("no issue {id}")))
    }

    async fn get_scan_report(
        &self,
        _request: Request<scanner::GetScanReportRequest>,
    ) -> Result<Response<scanner::ScanReport>, Status> {
        Err(Status::unimplemented("not in this stand-in"))
    }

    async fn database_status(
        &self,
        _request: Request<scanner::DatabaseStatusRequest>,
    ) -> Result<Response<scanner::DatabaseStatusResponse>, Status> {
        Ok(Response::new(database("osv-1")))
    }

    async fn import_database(
        &self,
        request: Request<scanner::ImportDatabaseRequest>,
    ) -> Result<Response<scanner::DatabaseStatusResponse>, Status> {
        Ok(Response::new(database(&request.into_inner().source)))
    }
}

fn database(version: &str) -> scanner::DatabaseStatusResponse {
    scanner::DatabaseStatusResponse {
        version: version.into(),
        imported_at: hours_before(3),
        advisory_count: 1234,
        ecosystems: vec!["Debian".into()],
    }
}
