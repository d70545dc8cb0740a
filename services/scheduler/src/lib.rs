//! The scheduler: decides when each target is scanned, one scan at a time,
//! and keeps the scan history.
//!
//! The domain logic is pure and needs no network to test:
//! - [`lifecycle`] is the per-target state machine: one scan at a time, one
//!   follow-up for the newest digest, retries, timeouts and deletion.
//! - [`daily`] decides when a target is due for its daily scan, spread by a
//!   per-target offset so thousands of targets do not fire at once.
//!
//! The service around it passes in the time (from an injected [`Clock`]),
//! fresh scan ids and the stored state, and persists what comes back:
//! - `events` consumes `tags.digest_changed`, `targets.deleted`,
//!   `scans.completed` and `scans.failed`;
//! - `timers` feeds due deadlines, retries and daily scans;
//! - `scheduler` applies each change in one transaction that also writes
//!   the history and queues the scan requests;
//! - `relay` publishes the queued `scans.requested`;
//! - `api` serves `ListScans` and `GetScan`.
//!
//! A new target's first scan comes from the tag watcher's first
//! `tags.digest_changed` (empty previous digest), not from
//! `targets.created`, which carries no digest to scan. `vulndb.updated` is
//! not consumed: the scanner matches stored package lists again itself, so
//! the state machine's `DatabaseUpdated` input has no producer in the
//! service yet. The scanner reports each such re-match as a scan with
//! reason "database updated" under an id of its own; it goes to history,
//! not to the state machine.

mod api;
mod clock;
mod codes;
pub mod daily;
mod events;
pub mod lifecycle;
mod relay;
pub mod scan;
mod scheduler;
mod settings;
mod store;
mod timers;

use std::sync::Arc;
use std::time::SystemTime;

use tagwarden_runtime::{Service, ServiceConfig};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use clock::{Clock, ManualClock, SystemClock};
pub use daily::{DailyConfig, DailyConfigError, due_for_daily, next_daily_at};
pub use lifecycle::{Action, Input, LifecycleConfig, Phase, Scan, TargetState};
pub use scan::{ChangeReason, ResolvedTag, ScanId, ScanReason, ScanRequest};
pub use settings::Settings;
pub use store::Migrator;

/// The service's name in logs, event envelopes and its SQLite file name.
pub const SERVICE: &str = "scheduler";

/// The gRPC port when `grpc.listen` is not set.
pub const DEFAULT_PORT: u16 = 50054;

/// The service's whole config.
pub type Config = ServiceConfig<Settings>;

/// Runs the service on the system clock until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    start(config, Arc::new(SystemClock), shutdown)
        .await?
        .service
        .run()
        .await
}

/// A scheduler with its store, consumers, timers and API in place, ready
/// to [`Service::run`].
#[derive(Debug)]
pub struct Started {
    /// The service; its `local_addr` is the API's address.
    pub service: Service,
    /// Reports each finished timer tick.
    pub timers: TimerTicks,
}

/// Starts everything on `clock`: the datastore (migrated), the consumers,
/// the timer loop, the outbox relay and the API behind the auth
/// interceptor.
pub async fn start(
    config: Config,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<Started> {
    let daily = config.service.daily()?;
    let lifecycle = config.service.lifecycle();
    let service = Service::start::<Migrator, _>(SERVICE, DEFAULT_PORT, &config, shutdown).await?;
    let scheduler = scheduler::Scheduler::new(
        service.db.clone(),
        service.bus.clone(),
        clock.clone(),
        lifecycle,
        daily,
    );
    events::spawn_consumers(&service.bus, &scheduler, service.tasks()).await?;

    let tasks = service.tasks();
    let relay = relay::run(
        service.db.clone(),
        service.bus.clone(),
        scheduler.relay_wakeup(),
        config.service.outbox_retry,
        tasks.shutdown().clone(),
    );
    tasks.spawn("outbox-relay", relay);
    let (progress, ticks) = watch::channel(SystemTime::UNIX_EPOCH);
    let cadence = timers::Cadence {
        tick: config.service.tick,
        batch: config.service.timer_batch.max(1),
    };
    tasks.spawn(
        "timers",
        timers::run(scheduler, cadence, progress, tasks.shutdown().clone()),
    );

    let api = api::SchedulerServer::with_interceptor(
        api::HistoryApi::new(service.db.clone()),
        service.auth.clone(),
    );
    let service = service.with_routes(|routes| routes.add_service(api));
    Ok(Started {
        service,
        timers: TimerTicks(ticks),
    })
}

/// Tells when the timer loop has looked at its timers: each finished tick
/// reports the clock time it ran at.
#[derive(Debug, Clone)]
pub struct TimerTicks(watch::Receiver<SystemTime>);

impl TimerTicks {
    /// Waits until a tick that read the clock at `at` or later has
    /// finished, so everything due by `at` has been decided. Returns false
    /// if the timer loop stopped first.
    pub async fn reached(&mut self, at: SystemTime) -> bool {
        self.0.wait_for(|ran_at| *ran_at >= at).await.is_ok()
    }
}
