//! Scanners on real NATS (a fresh namespace per test) and a real database
//! (a SQLite file in a temporary folder, or a fresh PostgreSQL database),
//! pulling from real registries, matching real advisories.
//!
//! Each scanner instance runs on a runtime and thread of its own, so a
//! test can kill one outright (its runtime is dropped with the scan in
//! flight, nothing acked) as a crashed process would be.

pub(crate) mod data;
pub(crate) mod proxy;
pub(crate) mod small;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tagwarden_bus::events::{ImageLocation, ScanReason, ScanRequested};
use tagwarden_bus::{Bus, ConsumerSpec, Delivery, Envelope, Event, Stream, Subject};
use tagwarden_proto::scanner::v1::scanner_client::ScannerClient;
use tagwarden_proto::scanner::v1::{ImportDatabaseRequest, Issue, ListIssuesRequest};
use tagwarden_runtime::auth::BearerToken;
use tagwarden_runtime::testing::TestDatabase;
use tagwarden_scanner::{Config, Settings, SystemClock};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The API token the test scanners require.
pub(crate) const TOKEN: &str = "test-token";

/// How long any wait in a test may take before it fails. Generous: the
/// first scan of a real Debian image downloads and unpacks ~60 MB in a
/// debug build.
pub(crate) const PATIENCE: Duration = Duration::from_secs(240);

/// Where the scanners of a test keep their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Store {
    Sqlite,
    Postgres,
}

/// A gRPC client of the scanner API, sending the token.
pub(crate) type Api = ScannerClient<InterceptedService<Channel, BearerToken>>;

/// One test's bus namespace, database and folder, and what it heard.
pub(crate) struct Harness {
    pub(crate) bus: Bus,
    pub(crate) results: Results,
    pub(crate) dir: tempfile::TempDir,
    namespace: String,
    database_url: String,
    postgres: Option<TestDatabase>,
}

impl Harness {
    pub(crate) async fn new(store: Store) -> Self {
        tagwarden_runtime::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let postgres = match store {
            Store::Sqlite => None,
            Store::Postgres => Some(TestDatabase::create().await),
        };
        let database_url = match &postgres {
            Some(db) => db.url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("scanner.db").display()
            ),
        };
        let namespace = format!("t{}", uuid::Uuid::now_v7().simple());
        let nats = tagwarden_bus::BusConfig {
            namespace: namespace.clone(),
            ..tagwarden_bus::BusConfig::default()
        };
        let bus = Bus::connect(&nats, "test").await.unwrap();
        bus.declare_streams().await.unwrap();
        let results = Results::start(&bus).await;
        Self {
            bus,
            results,
            dir,
            namespace,
            database_url,
            postgres,
        }
    }

    /// The config of instance `name`: its own data folder and layer cache,
    /// the test's database and advisory database file, short loops.
    pub(crate) fn config(&self, name: &str, settings: Settings) -> Config {
        let mut config = Config {
            data_dir: self.dir.path().join(name),
            service: Settings {
                advisory_db: Some(self.advisory_db()),
                rematch_interval: Duration::from_secs(1),
                outbox_retry: Duration::from_millis(200),
                ..settings
            },
            ..Config::default()
        };
        config.database.url = Some(self.database_url.clone().into());
        config.nats.namespace = self.namespace.clone();
        config.grpc.listen = Some("127.0.0.1:0".parse().unwrap());
        config.grpc.token = Some(TOKEN.to_owned().into());
        config
    }

    /// The advisory database file every instance of the test shares.
    pub(crate) fn advisory_db(&self) -> PathBuf {
        self.dir.path().join("advisories.redb")
    }

    /// Publishes `scans.requested` as the scheduler would.
    pub(crate) async fn request(&self, request: &ScanRequested) -> Envelope {
        let envelope = self.bus.envelope(Event::ScanRequested(request.clone()));
        self.bus.publish_envelope(&envelope).await.unwrap();
        envelope
    }

    /// Removes the test's streams and database.
    pub(crate) async fn finish(self) {
        self.bus.delete_streams().await;
        if let Some(db) = self.postgres {
            db.drop_database().await;
        }
    }
}

/// Settings for scans of small images: quick to give up and to redeliver.
pub(crate) fn quick() -> Settings {
    Settings {
        concurrency: 2,
        ack_wait: Duration::from_secs(8),
        scan_timeout: Duration::from_secs(6),
        ..Settings::default()
    }
}

/// Settings for scans of the real Debian images.
pub(crate) fn patient() -> Settings {
    Settings {
        concurrency: 1,
        ack_wait: Duration::from_secs(300),
        scan_timeout: Duration::from_secs(240),
        ..Settings::default()
    }
}

/// A scan request for `target` of `registry/repository@digest`.
pub(crate) fn scan_request(
    scan_id: &str,
    target: &str,
    registry: &str,
    repository: &str,
    tag: &str,
    digest: &str,
) -> ScanRequested {
    ScanRequested {
        scan_id: scan_id.into(),
        target_id: target.into(),
        image: Some(ImageLocation {
            integration_id: "integration-1".into(),
            provider: "oci".into(),
            account: String::new(),
            registry: registry.into(),
            repository: repository.into(),
        }),
        tag: tag.into(),
        digest: digest.into(),
        reason: ScanReason::DigestChanged.into(),
        attempt: 1,
    }
}

/// One scanner process, as far as a test can tell.
pub(crate) struct Instance {
    pub(crate) api: Api,
    shutdown: CancellationToken,
    kill: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Instance {
    /// Starts a scanner with `config` on a runtime of its own.
    pub(crate) async fn start(config: Config) -> Self {
        let shutdown = CancellationToken::new();
        let (ready, started) = oneshot::channel();
        let (kill, killed) = oneshot::channel::<()>();
        let stop = shutdown.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let clock = Arc::new(SystemClock);
                let service = tagwarden_scanner::start(config, clock, stop)
                    .await
                    .expect("the scanner starts");
                let _ = ready.send(service.local_addr());
                tokio::select! {
                    outcome = service.run() => outcome.unwrap(),
                    _ = killed => {}
                }
            });
            // Whatever still runs (a scan in flight) is dropped, unacked.
            runtime.shutdown_background();
        });
        let addr = started.await.expect("the scanner starts");
        Self {
            api: api_client(addr).await,
            shutdown,
            kill: Some(kill),
            thread: Some(thread),
        }
    }

    /// Kills the instance: its runtime goes away with whatever it was
    /// doing, as with SIGKILL.
    pub(crate) async fn kill(mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        self.join().await;
    }

    /// Stops the instance as SIGTERM would.
    pub(crate) async fn stop(mut self) {
        self.shutdown.cancel();
        self.join().await;
    }

    async fn join(&mut self) {
        if let Some(thread) = self.thread.take() {
            tokio::task::spawn_blocking(move || thread.join().unwrap())
                .await
                .unwrap();
        }
    }
}

async fn api_client(addr: std::net::SocketAddr) -> Api {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    ScannerClient::with_interceptor(channel, BearerToken::new(TOKEN).unwrap())
}

/// Imports the OSV records in `dir` through the API.
pub(crate) async fn import(api: &mut Api, dir: &std::path::Path) -> String {
    let request = ImportDatabaseRequest {
        source: dir.display().to_string(),
    };
    api.import_database(request)
        .await
        .unwrap()
        .into_inner()
        .version
}

/// Every issue matching `request`, all pages.
pub(crate) async fn issues(api: &mut Api, request: ListIssuesRequest) -> Vec<Issue> {
    let mut all = Vec::new();
    let mut request = ListIssuesRequest {
        page_size: 7,
        ..request
    };
    loop {
        let page = api.list_issues(request.clone()).await.unwrap().into_inner();
        all.extend(page.issues);
        if page.next_page_token.is_empty() {
            return all;
        }
        request.page_token = page.next_page_token;
    }
}

/// A target's issues.
pub(crate) async fn target_issues(api: &mut Api, target: &str) -> Vec<Issue> {
    let request = ListIssuesRequest {
        target_id: target.into(),
        ..ListIssuesRequest::default()
    };
    issues(api, request).await
}

/// What the scanners published: `scans.completed`, `scans.failed` and
/// `vulndb.updated`, each heard once (the test's own durable consumers).
pub(crate) struct Results {
    incoming: mpsc::UnboundedReceiver<Envelope>,
    heard: Vec<Envelope>,
    stop: CancellationToken,
}

impl Results {
    async fn start(bus: &Bus) -> Self {
        let (sender, incoming) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        for (durable, stream, subject) in [
            ("test-completed", Stream::Scans, Subject::ScanCompleted),
            ("test-failed", Stream::Scans, Subject::ScanFailed),
            ("test-vulndb", Stream::VulnDb, Subject::VulnDbUpdated),
        ] {
            let consumer = bus
                .consumer(ConsumerSpec::new(durable, stream, Some(subject)))
                .await
                .unwrap();
            let sender = sender.clone();
            let handler = move |delivery: Delivery| {
                let sender = sender.clone();
                async move {
                    let _ = sender.send(delivery.envelope);
                    Ok(())
                }
            };
            tokio::spawn(consumer.run(handler, stop.clone()));
        }
        Self {
            incoming,
            heard: Vec::new(),
            stop,
        }
    }

    /// The result (`scans.completed` or `scans.failed`) of `scan_id`.
    pub(crate) async fn of(&mut self, scan_id: &str) -> Event {
        self.wait(|event| scan_of(event) == Some(scan_id)).await
    }

    /// The next `vulndb.updated` not yet taken.
    pub(crate) async fn wait<F: Fn(&Event) -> bool>(&mut self, wanted: F) -> Event {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(found) = self
                .heard
                .iter()
                .filter_map(|e| e.event.as_ref())
                .find(|e| wanted(e))
            {
                return found.clone();
            }
            let next = tokio::time::timeout_at(deadline, self.incoming.recv())
                .await
                .expect("the awaited event within the deadline")
                .unwrap();
            self.heard.push(next);
        }
    }

    /// Everything heard so far, after taking what has arrived.
    pub(crate) fn heard(&mut self) -> Vec<Event> {
        while let Ok(next) = self.incoming.try_recv() {
            self.heard.push(next);
        }
        self.heard.iter().filter_map(|e| e.event.clone()).collect()
    }

    /// How many results each scan got.
    pub(crate) fn per_scan(&mut self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for event in self.heard() {
            if let Some(scan_id) = scan_of(&event) {
                *counts.entry(scan_id.to_owned()).or_insert(0) += 1;
            }
        }
        counts
    }
}

impl Drop for Results {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The scan an event reports on.
pub(crate) fn scan_of(event: &Event) -> Option<&str> {
    match event {
        Event::ScanCompleted(c) => Some(&c.scan_id),
        Event::ScanFailed(f) => Some(&f.scan_id),
        _ => None,
    }
}

/// Polls `check` until it holds, failing after the deadline.
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
