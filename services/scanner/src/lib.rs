//! The scanner: runs the scanning engine for each requested scan, keeps
//! every scan's findings and each target's issues with their lifecycle,
//! and matches stored inventories again when the advisory database
//! changes.
//!
//! The domain logic is pure and needs no network to test: [`issues`]
//! decides what a scan does to a target's issues (opened, found again,
//! reopened, fixed) and defines what makes two findings one issue.
//!
//! The service around it:
//! - `events` consumes `scans.requested` (a work queue shared by every
//!   instance), `targets.deleted` and `vulndb.updated`;
//! - `scan` pulls an image's inventory through the engine (on a thread of
//!   its own, `pull`), matches it and classifies failures; `record` writes the outcome in one transaction
//!   (scan, findings, issue changes, inventory, event in the outbox);
//! - `vulndb` and `updates` import new advisory databases (API and
//!   periodic job); `rematch` matches stored inventories again without
//!   touching a registry;
//! - `relay` publishes the outbox; `api` serves issues, reports and the
//!   database status.

mod api;
mod clock;
mod credentials;
mod events;
pub mod issues;
mod pull;
mod record;
mod relay;
mod rematch;
mod report;
mod scan;
mod settings;
mod store;
mod updates;
mod vulndb;

use std::sync::Arc;

use anyhow::Context as _;
use tagwarden_engine::engine::{Engine, EngineConfig};
use tagwarden_runtime::{Service, ServiceConfig};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use clock::{Clock, ManualClock, SystemClock};
pub use credentials::{AzureCredential, CloudRegistry};
pub use settings::{RegistryLogin, Settings};
pub use store::Migrator;

/// The service's name in logs, event envelopes and its SQLite file name.
pub const SERVICE: &str = "scanner";

/// The gRPC port when `grpc.listen` is not set.
pub const DEFAULT_PORT: u16 = 50055;

/// The durable consumer name every instance shares for scan requests.
pub const SCAN_REQUESTS_CONSUMER: &str = events::SCAN_REQUESTS;

/// The service's whole config.
pub type Config = ServiceConfig<Settings>;

/// Runs the service on the system clock until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    start(config, Arc::new(SystemClock), shutdown)
        .await?
        .run()
        .await
}

/// Starts everything on `clock`: the datastore (migrated), the engine,
/// the consumers, the outbox relay, the rematch loop, the periodic
/// database import (when a source is configured) and the API behind the
/// auth interceptor. The returned service's `local_addr` is the API's.
pub async fn start(
    config: Config,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<Service> {
    let settings = &config.service;
    settings.check()?;
    let credentials = credentials::ByHost::new(settings.logins()?)
        .with_cloud(&settings.cloud_registries)
        .await
        .context("failed to set up cloud registry credentials")?;
    let engine = Engine::new(EngineConfig {
        cache_dir: Some(settings.layer_cache_dir(&config.data_dir)),
        insecure_registries: settings.insecure_hosts()?,
        credentials: Arc::new(credentials),
        ..EngineConfig::default()
    })
    .context("failed to set up the scanning engine")?;
    let service = Service::start::<Migrator, _>(SERVICE, DEFAULT_PORT, &config, shutdown).await?;

    let recorder = record::Recorder::new(service.db.clone(), service.bus.clone(), clock);
    let vulndb = Arc::new(vulndb::Vulndb::new(
        settings.advisory_db_path(&config.data_dir),
    ));
    let rematch = Arc::new(Notify::new());
    let puller = pull::Puller::start(engine).context("failed to start the engine thread")?;
    let scanner = scan::Scanner {
        puller,
        vulndb: vulndb.clone(),
        recorder: recorder.clone(),
        timeout: settings.scan_timeout,
        rematch: rematch.clone(),
    };
    let queue = events::WorkQueue {
        concurrency: settings.concurrency,
        ack_wait: settings.ack_wait,
    };
    let tasks = service.tasks();
    events::spawn_consumers(&service.bus, &scanner, queue, rematch.clone(), tasks).await?;
    let relay = relay::run(
        service.db.clone(),
        service.bus.clone(),
        recorder.relay_wakeup(),
        settings.outbox_retry,
        tasks.shutdown().clone(),
    );
    tasks.spawn("outbox-relay", relay);
    let loop_ = rematch::run(
        scanner,
        rematch.clone(),
        settings.rematch_interval,
        tasks.shutdown().clone(),
    );
    tasks.spawn("rematch", loop_);

    let updater = updates::Updater {
        vulndb,
        recorder,
        rematch,
    };
    if let Some(source) = settings.database_source.clone() {
        let periodic = updates::run_periodic(
            updater.clone(),
            source,
            settings.database_update_interval,
            tasks.shutdown().clone(),
        );
        tasks.spawn("database-updates", periodic);
    }
    let api = api::ScannerServer::with_interceptor(
        api::Api::new(service.db.clone(), updater),
        service.auth.clone(),
    );
    Ok(service.with_routes(|routes| routes.add_service(api)))
}
