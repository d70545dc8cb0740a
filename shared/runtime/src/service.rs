//! The start and the end of every service, so its `lib.rs` holds only what
//! is its own: which consumers and which API it adds.
//!
//! [`Service::start`] opens the datastore (running migrations), connects to
//! NATS and declares the streams, and binds the gRPC port. The service then
//! adds its consumers and loops to [`Service::tasks`], its API with
//! [`Service::with_routes`], and calls [`Service::run`], which serves until
//! shutdown and lets in-flight work finish.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tagwarden_bus::Bus;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tracing::info;

use crate::auth::AuthInterceptor;
use crate::config::ServiceConfig;
use crate::db;
use crate::grpc::{self, HealthReporter};
use crate::shutdown::Tasks;

/// A service that has its store, bus and port, and is ready to run.
#[derive(Debug)]
pub struct Service {
    /// The service's name, as in logs and event envelopes.
    pub name: &'static str,
    /// Its own datastore, migrated.
    pub db: DatabaseConnection,
    /// The bus, streams declared.
    pub bus: Bus,
    /// The interceptor every API of the service must sit behind.
    pub auth: AuthInterceptor,
    tasks: Tasks,
    listener: TcpListener,
    health: HealthReporter,
    routes: Routes,
    grace: Duration,
}

impl Service {
    /// Opens everything a service needs, failing with the reason when any of
    /// it is missing (no token, database unreachable, port taken...).
    pub async fn start<M: MigratorTrait, S>(
        name: &'static str,
        default_port: u16,
        config: &ServiceConfig<S>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let auth = config.grpc.auth()?;
        let db = db::connect::<M>(&config.database, &config.data_dir, name)
            .await
            .context("failed to open the datastore")?;
        let bus = Bus::connect(&config.nats, name)
            .await
            .context("failed to reach the bus")?;
        bus.declare_streams()
            .await
            .context("failed to declare streams")?;
        let listener = grpc::bind(config.grpc.listen_addr(default_port)).await?;
        let (health, routes) = grpc::health_routes();
        Ok(Self {
            name,
            db,
            bus,
            auth,
            tasks: Tasks::new(shutdown),
            listener,
            health,
            routes,
            grace: config.shutdown_grace,
        })
    }

    /// The address the API listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| unreachable!("a bound listener has an address"))
    }

    /// The long-running tasks; add consumers and timers here.
    pub fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    /// Adds API services to the gRPC server, e.g.
    /// `service.with_routes(|r| r.add_service(ApiServer::with_interceptor(api, auth)))`.
    pub fn with_routes(mut self, add: impl FnOnce(Routes) -> Routes) -> Self {
        self.routes = add(self.routes);
        self
    }

    /// Serves until shutdown, then waits for in-flight work up to the grace
    /// period.
    pub async fn run(self) -> anyhow::Result<()> {
        let shutdown = self.tasks.shutdown().clone();
        let (listener, routes) = (self.listener, self.routes);
        self.tasks.spawn("grpc", {
            let shutdown = shutdown.clone();
            async move { Ok(grpc::serve(listener, routes, shutdown).await?) }
        });
        self.health
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        info!(service = self.name, "service up");

        let finished = self.tasks.wait(self.grace).await;
        self.health
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        info!(service = self.name, clean = finished, "service stopped");
        Ok(())
    }
}

/// The whole `main` of a service binary: install the TLS provider, parse
/// `--config`, load config, start telemetry, and run until SIGTERM/SIGINT.
pub async fn main<S, F, Fut>(name: &'static str, run: F) -> anyhow::Result<()>
where
    S: serde::de::DeserializeOwned + Default,
    F: FnOnce(ServiceConfig<S>, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    use clap::Parser as _;
    crate::install_crypto_provider();
    let args = crate::ServiceArgs::parse();
    let config: ServiceConfig<S> = crate::load_config(args.config.as_deref())
        .with_context(|| format!("failed to load the {name} config"))?;
    let _telemetry = crate::telemetry::init(&config.telemetry, name)?;
    let result = run(config, crate::shutdown::on_signal()).await;
    if let Err(err) = &result {
        tracing::error!(service = name, error = format!("{err:#}"), "service failed");
    }
    result
}
