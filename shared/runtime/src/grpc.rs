//! The gRPC server every service runs: the standard health service (open to
//! probes) plus the service's own API behind the bearer-token interceptor.

use std::net::SocketAddr;

use secrecy::SecretString;
use serde::Deserialize;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tracing::info;

use crate::auth::AuthInterceptor;

pub use tonic_health::server::HealthReporter;

/// Where the API listens and the token it requires.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GrpcConfig {
    /// Listen address; each service has its own default port.
    pub listen: Option<SocketAddr>,
    /// The bearer token clients must send. Required: a service refuses to
    /// start without one rather than serve its API to anybody.
    pub token: Option<SecretString>,
}

/// The gRPC server could not start or stopped with an error.
#[derive(Debug, Error)]
pub enum GrpcError {
    /// No token is configured.
    #[error("no API token configured: set grpc.token in the config file or TAGWARDEN_GRPC__TOKEN")]
    MissingToken,
    /// The listen address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("gRPC server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
}

impl GrpcConfig {
    /// The interceptor for this config's token.
    pub fn auth(&self) -> Result<AuthInterceptor, GrpcError> {
        self.token
            .clone()
            .map(AuthInterceptor::new)
            .ok_or(GrpcError::MissingToken)
    }

    /// The listen address, or `127.0.0.1:<default_port>`.
    pub fn listen_addr(&self, default_port: u16) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], default_port)))
    }
}

/// Binds the API's listener. Binding before serving lets a caller learn the
/// port when it asked for port 0 (tests do).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, GrpcError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| GrpcError::Bind { addr, source })
}

/// Routes holding the standard health service, and its reporter. The
/// reporter says SERVING for the whole server once the service is ready.
pub fn health_routes() -> (HealthReporter, Routes) {
    let (reporter, service) = tonic_health::server::health_reporter();
    (reporter, Routes::new(service))
}

/// Serves `routes` on `listener` until `shutdown` is cancelled, then lets
/// in-flight calls finish.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    shutdown: CancellationToken,
) -> Result<(), GrpcError> {
    let addr = listener.local_addr().map_err(|source| GrpcError::Bind {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })?;
    info!(%addr, "grpc listening");
    tonic::transport::Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown.cancelled_owned())
        .await?;
    info!(%addr, "grpc stopped");
    Ok(())
}
