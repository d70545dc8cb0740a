//! Discovery: cloud integrations and the inventory of images and tags
//! they hold.
//!
//! - `settings`: the service's settings and named credentials;
//! - `providers`: an integration's provider, built from its settings;
//! - `inventory`: pure comparison of stored and listed repositories;
//! - `coverage`: whether a target's tag rule covers a tag;
//! - `sync`: one integration synced, and the periodic loop;
//! - `integrations`: add, list, remove;
//! - `api`: the gRPC adapter; `events`: the bus adapter;
//! - `store`: persistence; `outbox`: publishes committed events.

mod api;
mod coverage;
mod events;
mod integrations;
mod inventory;
mod outbox;
mod providers;
mod settings;
mod store;
mod sync;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
pub use settings::{CredentialConfig, Settings};
use tagwarden_proto::discovery::v1::discovery_server::DiscoveryServer;
/// The clock every time decision reads (sync due times, token expiry).
pub use tagwarden_registry::provider::clock;
use tagwarden_runtime::{Service, ServiceConfig};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::clock::{SharedClock, SystemClock};

/// The service's name in logs, event envelopes and its SQLite file name.
pub const SERVICE: &str = "discovery";

/// The gRPC port when `grpc.listen` is not set.
pub const DEFAULT_PORT: u16 = 50051;

/// The service's whole config.
pub type Config = ServiceConfig<Settings>;

/// What a test or simulation may change about a running service beyond its
/// config: the clock, and whether committed events are published.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The time every decision reads.
    pub clock: SharedClock,
    /// Whether the outbox relay runs.
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

/// A started service: store open, consumer, relay and periodic sync
/// running, port bound; [`Started::run`] serves until shutdown.
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

/// Opens the store, starts the targets consumer, the outbox relay and the
/// periodic sync, and binds the API; call [`Started::run`] to serve.
pub async fn start(
    config: Config,
    shutdown: CancellationToken,
    options: StartOptions,
) -> anyhow::Result<Started> {
    let service =
        Service::start::<store::Migrator, _>(SERVICE, DEFAULT_PORT, &config, shutdown.clone())
            .await?;
    let settings = Arc::new(config.service.clone());
    let (relay, periodic) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let syncer = sync::Syncer::new(
        service.db.clone(),
        service.bus.clone(),
        options.clock.clone(),
        settings.clone(),
        relay.clone(),
    );
    start_consumer(&service, &shutdown).await?;
    if options.outbox_relay {
        let relay = outbox::Relay {
            db: service.db.clone(),
            bus: service.bus.clone(),
            clock: options.clock.clone(),
            wake: relay.clone(),
        };
        service
            .tasks()
            .spawn("outbox-relay", relay.run(shutdown.clone()));
    }
    let loop_ = sync::Periodic {
        syncer: syncer.clone(),
        interval: settings.sync_interval,
        concurrency: settings.sync_concurrency,
        wake: periodic.clone(),
    };
    service.tasks().spawn("periodic-sync", loop_.run(shutdown));
    info!(
        sync_interval_secs = settings.sync_interval.as_secs(),
        sync_concurrency = settings.sync_concurrency,
        credentials = settings.credentials.len(),
        "discovery ready"
    );
    let integrations = integrations::Integrations {
        db: service.db.clone(),
        bus: service.bus.clone(),
        clock: options.clock,
        settings,
        syncer: syncer.clone(),
        periodic,
        relay,
    };
    let api = api::Api {
        integrations,
        syncer,
    };
    let auth = service.auth.clone();
    let service = service
        .with_routes(|routes| routes.add_service(DiscoveryServer::with_interceptor(api, auth)));
    Ok(Started { service })
}

/// Keeps the covered flag fed from the TARGETS stream.
async fn start_consumer(service: &Service, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let consumer = service
        .bus
        .consumer(events::consumer_spec())
        .await
        .context("failed to declare the targets consumer")?;
    let handler = events::TargetsHandler {
        db: service.db.clone(),
    };
    let shutdown = shutdown.clone();
    service.tasks().spawn("targets-consumer", async move {
        Ok(consumer.run(handler, shutdown).await?)
    });
    Ok(())
}
