//! Tag watcher: resolves each target's tag rule to a tag and digest, and
//! reports when either moves.
//!
//! - [`resolution`] and [`pushed`]: the pure decisions (which tag wins,
//!   when was it pushed, is this a change);
//! - [`refresh`]: one look at one repository for all its targets;
//! - [`watcher`]: when looks happen (poll cycles, requests), one at a time
//!   per repository;
//! - [`registry`]: the registry client with per-host limits and back-off;
//! - [`events`]: the bus adapter; [`notify`]: push notifications;
//! - [`store`]: persistence; [`outbox`]: publishes committed events.

mod backoff;
mod events;
mod expectation;
pub mod notify;
mod outbox;
mod pushed;
mod refresh;
mod registry;
mod repository;
mod resolution;
mod settings;
mod store;
mod watcher;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tagwarden_bus::Handler;
use tagwarden_runtime::{Service, ServiceConfig};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::info;

pub use refresh::RefreshReport;
pub use settings::{RegistryLogin, Settings};
pub use watcher::{CycleReport, Watcher};

use crate::refresh::Refresher;
use crate::registry::Registries;

/// The service's name in logs, event envelopes and its SQLite file name.
pub const SERVICE: &str = "tag-watcher";

/// The gRPC port when `grpc.listen` is not set.
pub const DEFAULT_PORT: u16 = 50053;

/// The service's whole config.
pub type Config = ServiceConfig<Settings>;

/// A started service: store open, consumers, relay, timer and notification
/// endpoint running; [`Started::run`] serves until shutdown.
#[derive(Debug)]
pub struct Started {
    service: Service,
    watcher: Watcher,
    notifications: Option<SocketAddr>,
}

impl Started {
    /// The address the gRPC API (health) listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.service.local_addr()
    }

    /// The address the notification endpoint listens on, if configured.
    pub fn notifications_addr(&self) -> Option<SocketAddr> {
        self.notifications
    }

    /// The watcher, to run a poll cycle now or wait for requested refreshes.
    pub fn watcher(&self) -> Watcher {
        self.watcher.clone()
    }

    /// Serves until shutdown, then lets in-flight work finish.
    pub async fn run(self) -> anyhow::Result<()> {
        self.service.run().await
    }
}

/// Runs the service until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    start(config, shutdown).await?.run().await
}

/// Opens the store, starts consumers, relay, timer and the notification
/// endpoint; call [`Started::run`] to serve.
pub async fn start(config: Config, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let settings = &config.service;
    let service =
        Service::start::<store::Migrator, _>(SERVICE, DEFAULT_PORT, &config, shutdown.clone())
            .await?;
    let relay = Arc::new(Notify::new());
    let registries = Registries::new(
        settings.registry_client()?,
        settings.registry_concurrency,
        settings.registry_backoff,
    );
    let refresher = Refresher {
        db: service.db.clone(),
        bus: service.bus.clone(),
        registries,
        relay: relay.clone(),
    };
    let watcher = Watcher::new(refresher, settings.cycle_concurrency, shutdown.clone());
    start_consumers(&service, &watcher, &shutdown).await?;
    let notifications = start_notifications(&service, settings, &watcher).await?;
    let outbox = outbox::Relay {
        db: service.db.clone(),
        bus: service.bus.clone(),
        wake: relay,
    };
    let tasks = service.tasks();
    tasks.spawn("outbox-relay", outbox.run(shutdown.clone()));
    let polls = watcher
        .clone()
        .poll_forever(settings.poll_interval, settings.poll_jitter);
    tasks.spawn("poll-timer", polls);
    tasks.spawn("refreshes", watcher.clone().drain());
    info!(
        poll_interval_s = settings.poll_interval.as_secs(),
        registry_concurrency = settings.registry_concurrency,
        notifications = ?notifications,
        "tag watcher ready"
    );
    Ok(Started {
        service,
        watcher,
        notifications,
    })
}

/// Follows TARGETS (what to watch) and DISCOVERY (push times).
async fn start_consumers(
    service: &Service,
    watcher: &Watcher,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let refresh: Arc<dyn repository::RefreshSoon> = Arc::new(watcher.clone());
    let targets = events::TargetHandler {
        db: service.db.clone(),
        refresh: refresh.clone(),
    };
    spawn_consumer(
        service,
        shutdown,
        "targets-consumer",
        events::targets_spec(),
        targets,
    )
    .await?;
    let discovery = events::DiscoveryHandler {
        db: service.db.clone(),
        refresh,
    };
    spawn_consumer(
        service,
        shutdown,
        "discovery-consumer",
        events::discovery_spec(),
        discovery,
    )
    .await
}

async fn spawn_consumer<H: Handler>(
    service: &Service,
    shutdown: &CancellationToken,
    name: &'static str,
    spec: tagwarden_bus::ConsumerSpec,
    handler: H,
) -> anyhow::Result<()> {
    let consumer = service
        .bus
        .consumer(spec)
        .await
        .with_context(|| format!("failed to declare the {name}"))?;
    let shutdown = shutdown.clone();
    service.tasks().spawn(
        name,
        async move { Ok(consumer.run(handler, shutdown).await?) },
    );
    Ok(())
}

/// Binds and serves the notification endpoint when it is configured.
async fn start_notifications(
    service: &Service,
    settings: &Settings,
    watcher: &Watcher,
) -> anyhow::Result<Option<SocketAddr>> {
    let Some(addr) = settings.notifications.listen else {
        return Ok(None);
    };
    let listener = notify::endpoint::bind(addr).await?;
    let bound = listener
        .local_addr()
        .context("notification endpoint has no address")?;
    let sources = settings.notifications.sources.clone();
    let refresh = Arc::new(watcher.clone());
    let shutdown = service.tasks().shutdown().clone();
    service.tasks().spawn(
        "notifications",
        notify::endpoint::serve(listener, sources, refresh, shutdown),
    );
    Ok(Some(bound))
}
