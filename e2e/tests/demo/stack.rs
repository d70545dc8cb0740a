//! The whole of Tagwarden for one test: the five services in this process,
//! each with its own SQLite file in one temporary directory, all on a fresh
//! NATS namespace and on ports the OS picks; a real `docker-registry` that
//! sends push notifications to the tag watcher; and an authenticated gRPC
//! client of each API.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tagwarden_bus::Bus;
use tagwarden_proto::discovery::v1::discovery_client::DiscoveryClient;
use tagwarden_proto::licensing::v1::licensing_client::LicensingClient;
use tagwarden_proto::scanner::v1::scanner_client::ScannerClient;
use tagwarden_proto::scheduler::v1::scheduler_client::SchedulerClient;
use tagwarden_runtime::ServiceConfig;
use tagwarden_runtime::auth::BearerToken;
use tagwarden_tag_watcher::notify::{Format, NotificationSettings, NotificationSource};
use tagwarden_testkit::{LocalRegistry, NotificationEndpoint, RegistryOptions};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The API token every service of the stack requires.
const TOKEN: &str = "e2e-token";
/// What the registry sends with its notifications, header value included.
const NOTIFY_SECRET: &str = "Bearer e2e-notify-secret";
/// Licence seats in the pool.
pub(crate) const POOL_SIZE: u32 = 5;

type Authed = InterceptedService<Channel, BearerToken>;

/// The running stack.
pub(crate) struct Stack {
    pub(crate) registry: LocalRegistry,
    pub(crate) discovery: DiscoveryClient<Authed>,
    pub(crate) licensing: LicensingClient<Authed>,
    pub(crate) scheduler: SchedulerClient<Authed>,
    pub(crate) scanner: ScannerClient<Authed>,
    namespace: String,
    shutdown: CancellationToken,
    running: Vec<(&'static str, JoinHandle<anyhow::Result<()>>)>,
    _data: tempfile::TempDir,
}

/// The settings every service shares: its own SQLite file under `data`,
/// the test's namespace, a port the OS picks, the token.
fn config<S: Default>(data: &Path, service: &str, namespace: &str) -> ServiceConfig<S> {
    let mut config = ServiceConfig::<S> {
        data_dir: data.join(service),
        shutdown_grace: Duration::from_secs(5),
        ..ServiceConfig::default()
    };
    config.nats.namespace = namespace.to_owned();
    config.grpc.listen = Some("127.0.0.1:0".parse().unwrap());
    config.grpc.token = Some(TOKEN.to_owned().into());
    config
}

impl Stack {
    /// Starts the five services, then the registry pointed at the tag
    /// watcher's notification endpoint.
    pub(crate) async fn start() -> Self {
        tagwarden_runtime::install_crypto_provider();
        let data = tempfile::tempdir().unwrap();
        let namespace = format!("e2e{}", uuid::Uuid::now_v7().simple());
        let shutdown = CancellationToken::new();
        let mut running = Vec::new();
        let dir = data.path();

        let mut licensing = config::<tagwarden_licensing::Settings>(dir, "licensing", &namespace);
        licensing.service.pool_size = POOL_SIZE;
        let started = tagwarden_licensing::start(licensing, shutdown.clone(), Default::default())
            .await
            .expect("licensing starts");
        let licensing_addr = started.local_addr();
        running.push(("licensing", tokio::spawn(started.run())));

        // No periodic sync: the test asks for one (Refresh) when it pushes.
        let mut discovery = config::<tagwarden_discovery::Settings>(dir, "discovery", &namespace);
        discovery.service.sync_interval = Duration::ZERO;
        let started = tagwarden_discovery::start(discovery, shutdown.clone(), Default::default())
            .await
            .expect("discovery starts");
        let discovery_addr = started.local_addr();
        running.push(("discovery", tokio::spawn(started.run())));

        // Polling stays on as a fallback, but slow enough that the move
        // is normally seen through the registry's notification.
        let mut watcher = config::<tagwarden_tag_watcher::Settings>(dir, "tag-watcher", &namespace);
        watcher.service.poll_interval = Duration::from_secs(30);
        watcher.service.poll_jitter = Duration::ZERO;
        watcher.service.notifications = NotificationSettings {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            sources: vec![NotificationSource {
                name: "local".into(),
                format: Format::Distribution,
                registry: None,
                header: "Authorization".into(),
                secret: NOTIFY_SECRET.to_owned().into(),
            }],
        };
        let started = tagwarden_tag_watcher::start(watcher, shutdown.clone())
            .await
            .expect("the tag watcher starts");
        let notifications = started.notifications_addr().expect("notification endpoint");
        running.push(("tag-watcher", tokio::spawn(started.run())));

        let scheduler = config::<tagwarden_scheduler::Settings>(dir, "scheduler", &namespace);
        let clock = Arc::new(tagwarden_scheduler::SystemClock);
        let started = tagwarden_scheduler::start(scheduler, clock, shutdown.clone())
            .await
            .expect("the scheduler starts");
        let scheduler_addr = started.service.local_addr();
        running.push(("scheduler", tokio::spawn(started.service.run())));

        let scanner = config::<tagwarden_scanner::Settings>(dir, "scanner", &namespace);
        let clock = Arc::new(tagwarden_scanner::SystemClock);
        let service = tagwarden_scanner::start(scanner, clock, shutdown.clone())
            .await
            .expect("the scanner starts");
        let scanner_addr = service.local_addr();
        running.push(("scanner", tokio::spawn(service.run())));

        let registry = start_registry(notifications);
        Self {
            registry,
            discovery: DiscoveryClient::with_interceptor(channel(discovery_addr).await, bearer()),
            licensing: LicensingClient::with_interceptor(channel(licensing_addr).await, bearer()),
            scheduler: SchedulerClient::with_interceptor(channel(scheduler_addr).await, bearer()),
            scanner: ScannerClient::with_interceptor(channel(scanner_addr).await, bearer()),
            namespace,
            shutdown,
            running,
            _data: data,
        }
    }

    /// The registry's `host:port`, as image references name it.
    pub(crate) fn host(&self) -> String {
        self.registry.host().to_owned()
    }

    /// Stops every service as SIGTERM would, checks each stopped cleanly,
    /// and deletes the test's streams.
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        for (name, task) in self.running {
            let result = task
                .await
                .unwrap_or_else(|e| panic!("{name} panicked: {e}"));
            result.unwrap_or_else(|e| panic!("{name} stopped with an error: {e:#}"));
        }
        let config = tagwarden_bus::BusConfig {
            namespace: self.namespace,
            ..Default::default()
        };
        let bus = Bus::connect(&config, "e2e").await.unwrap();
        bus.delete_streams().await;
    }

    /// Fails with the service's error if one has stopped on its own, so a
    /// crashed service reads as such rather than as a timeout.
    pub(crate) fn assert_running(&self) {
        for (name, task) in &self.running {
            assert!(!task.is_finished(), "the {name} service stopped on its own");
        }
    }
}

fn start_registry(notifications: SocketAddr) -> LocalRegistry {
    let endpoint = NotificationEndpoint {
        url: format!("http://{notifications}/notifications/local"),
        headers: vec![("Authorization".into(), NOTIFY_SECRET.into())],
    };
    tokio::task::block_in_place(|| {
        LocalRegistry::start_with(RegistryOptions {
            notifications: Some(endpoint),
            ..RegistryOptions::default()
        })
    })
}

fn bearer() -> BearerToken {
    BearerToken::new(TOKEN).unwrap()
}

async fn channel(addr: SocketAddr) -> Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"))
}

/// Polls `check` until it answers `Some`, failing after `patience` with
/// `what` in the message. Never a fixed sleep: each poll is a real query.
pub(crate) async fn eventually<T, F, Fut>(
    stack: &Stack,
    what: &str,
    patience: Duration,
    mut check: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        stack.assert_running();
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {patience:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
