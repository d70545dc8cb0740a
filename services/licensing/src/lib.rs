//! Licensing: targets (an image plus a tag rule) and the licence seats they
//! hold.
//!
//! - `request`: the image name and tag rules a caller sends, checked;
//! - `ledger`: pure seat decisions (in use, locked, free, reuse);
//! - `targets`: the operations, one transaction each;
//! - `api`: the gRPC adapter; `events`: the bus adapter;
//! - `store`: persistence; `outbox`: publishes committed events.

mod api;
pub mod clock;
mod error;
mod events;
mod ledger;
mod outbox;
mod request;
mod store;
mod targets;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::TimeDelta;
use serde::Deserialize;
use tagwarden_proto::licensing::v1::licensing_server::LicensingServer;
use tagwarden_runtime::{Service, ServiceConfig};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::clock::{SharedClock, SystemClock};

/// The service's name in logs, event envelopes and its SQLite file name.
pub const SERVICE: &str = "licensing";

/// The gRPC port when `grpc.listen` is not set.
pub const DEFAULT_PORT: u16 = 50052;

/// Settings of this service alone, under `[service]` in its config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Licence seats available to targets, live and locked together.
    pub pool_size: u32,
    /// Days a deleted target's seat stays locked before it is free again.
    pub seat_lock_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            pool_size: 10,
            seat_lock_days: 30,
        }
    }
}

/// The service's whole config.
pub type Config = ServiceConfig<Settings>;

/// What a test or simulation may change about a running service beyond its
/// config: the clock, and whether committed events are published.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The time every decision reads.
    pub clock: SharedClock,
    /// Whether the outbox relay runs. Without it, changes commit and their
    /// events wait in the outbox: what a crash between commit and publish
    /// leaves behind.
    pub outbox_relay: bool,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            outbox_relay: true,
        }
    }
}

/// A started service: its store open, its consumer and relay running, its
/// port bound; [`Started::run`] serves until shutdown.
#[derive(Debug)]
pub struct Started {
    service: Service,
}

impl Started {
    /// The address the API listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.service.local_addr()
    }

    /// Serves until shutdown, then lets in-flight work finish.
    pub async fn run(self) -> anyhow::Result<()> {
        self.service.run().await
    }
}

/// Runs the service until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    start(config, shutdown, StartOptions::default())
        .await?
        .run()
        .await
}

/// Opens the store, starts the discovery consumer and the outbox relay, and
/// binds the API; call [`Started::run`] to serve.
pub async fn start(
    config: Config,
    shutdown: CancellationToken,
    options: StartOptions,
) -> anyhow::Result<Started> {
    let service =
        Service::start::<store::Migrator, _>(SERVICE, DEFAULT_PORT, &config, shutdown.clone())
            .await?;
    let relay = Arc::new(Notify::new());
    let targets = targets::Targets {
        db: service.db.clone(),
        bus: service.bus.clone(),
        clock: options.clock.clone(),
        pool_size: config.service.pool_size,
        seat_lock: TimeDelta::days(i64::from(config.service.seat_lock_days)),
        relay: relay.clone(),
    };
    start_consumer(&service, &shutdown).await?;
    if options.outbox_relay {
        let relay = outbox::Relay {
            db: service.db.clone(),
            bus: service.bus.clone(),
            clock: options.clock,
            wake: relay,
        };
        service.tasks().spawn("outbox-relay", relay.run(shutdown));
    }
    info!(
        pool_size = config.service.pool_size,
        seat_lock_days = config.service.seat_lock_days,
        "licensing ready"
    );
    let api = api::Api { targets };
    let auth = service.auth.clone();
    let service = service
        .with_routes(|routes| routes.add_service(LicensingServer::with_interceptor(api, auth)));
    Ok(Started { service })
}

/// Keeps the image projection fed from the DISCOVERY stream.
async fn start_consumer(service: &Service, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let consumer = service
        .bus
        .consumer(events::consumer_spec())
        .await
        .context("failed to declare the discovery consumer")?;
    let handler = events::DiscoveryHandler {
        db: service.db.clone(),
    };
    let shutdown = shutdown.clone();
    service.tasks().spawn("discovery-consumer", async move {
        Ok(consumer.run(handler, shutdown).await?)
    });
    Ok(())
}
