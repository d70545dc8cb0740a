//! `spawn_app`: a whole scheduler on real NATS (a fresh namespace per test)
//! and a real database (a SQLite file in a temporary folder, or a fresh
//! PostgreSQL database), on a clock the test moves, plus the test's own
//! bus to publish what other services would and a stand-in scanner that
//! takes `scans.requested`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::consumer::PullConsumer;
use prost::Message as _;
use tagwarden_bus::events::{
    DigestChanged, ImageLocation, ScanCompleted, ScanRequested, SeverityCounts, TargetDeleted,
    TargetRef,
};
use tagwarden_bus::{Bus, ConsumerSpec, Delivery, Envelope, Event, Stream, Subject};
use tagwarden_proto::scheduler::v1::scheduler_client::SchedulerClient;
use tagwarden_proto::scheduler::v1::{GetScanRequest, ListScansRequest, Scan};
use tagwarden_runtime::auth::BearerToken;
use tagwarden_runtime::testing::TestDatabase;
use tagwarden_scheduler::{Config, ManualClock, Settings, TimerTicks};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The API token the test app requires.
pub(crate) const TOKEN: &str = "test-token";

/// How long any wait in a test may take before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// The scan timeout the test app runs with.
pub(crate) const SCAN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Where the test app keeps its data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Store {
    Sqlite,
    Postgres,
}

/// A gRPC client of the scheduler API, sending the token.
pub(crate) type Api = SchedulerClient<InterceptedService<Channel, BearerToken>>;

/// A running scheduler and everything a test needs around it.
pub(crate) struct App {
    pub(crate) bus: Bus,
    pub(crate) clock: ManualClock,
    pub(crate) api: Api,
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) scanner: Scanner,
    pub(crate) ticks: TimerTicks,
    pub(crate) config: Config,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
    postgres: Option<TestDatabase>,
    _dir: tempfile::TempDir,
}

/// Starts a scheduler on `store` with its clock at a fixed time.
pub(crate) async fn spawn_app(store: Store) -> App {
    let dir = tempfile::tempdir().unwrap();
    let postgres = match store {
        Store::Sqlite => None,
        Store::Postgres => Some(TestDatabase::create().await),
    };
    let config = config(dir.path(), postgres.as_ref().map(|db| db.url.clone()));
    let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let launched = launch(&config, &clock).await;
    let bus = Bus::connect(&config.nats, "test").await.unwrap();
    let scanner = Scanner::start(&bus).await;
    App {
        api: launched.api,
        addr: launched.addr,
        bus,
        clock,
        scanner,
        ticks: launched.ticks,
        config,
        shutdown: launched.shutdown,
        running: launched.running,
        postgres,
        _dir: dir,
    }
}

/// A scheduler process, as far as a test can tell.
struct Launched {
    api: Api,
    addr: std::net::SocketAddr,
    ticks: TimerTicks,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
}

async fn launch(config: &Config, clock: &ManualClock) -> Launched {
    let shutdown = CancellationToken::new();
    let clock = std::sync::Arc::new(clock.clone());
    let started = tagwarden_scheduler::start(config.clone(), clock, shutdown.clone())
        .await
        .expect("the scheduler starts");
    let addr = started.service.local_addr();
    let running = tokio::spawn(started.service.run());
    Launched {
        api: api_client(addr, TOKEN).await,
        addr,
        ticks: started.timers,
        shutdown,
        running,
    }
}

fn config(data_dir: &std::path::Path, database_url: Option<String>) -> Config {
    let mut config = Config {
        data_dir: data_dir.to_owned(),
        service: Settings {
            scan_timeout: SCAN_TIMEOUT,
            retry_base: Duration::from_secs(60),
            retry_cap: Duration::from_secs(600),
            max_attempts: 3,
            tick: Duration::from_millis(20),
            outbox_retry: Duration::from_millis(200),
            ..Settings::default()
        },
        ..Config::default()
    };
    config.database.url = database_url.map(Into::into);
    config.nats.namespace = format!("t{}", uuid::Uuid::now_v7().simple());
    config.grpc.listen = Some("127.0.0.1:0".parse().unwrap());
    config.grpc.token = Some(TOKEN.to_owned().into());
    config
}

/// A client of the API at `addr` sending `token`.
pub(crate) async fn api_client(addr: std::net::SocketAddr, token: &str) -> Api {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    SchedulerClient::with_interceptor(channel, BearerToken::new(token).unwrap())
}

/// The image every test target lives in.
pub(crate) fn image() -> ImageLocation {
    ImageLocation {
        integration_id: "integration-1".into(),
        provider: "oci".into(),
        account: String::new(),
        registry: "registry.test:5000".into(),
        repository: "team/web".into(),
    }
}

/// A digest that reads as what it is in assertions: `sha256:aaaa…`.
pub(crate) fn digest(letter: char) -> String {
    format!("sha256:{}", letter.to_string().repeat(64))
}

impl App {
    /// Publishes `tags.digest_changed` as the tag watcher would; an empty
    /// `previous` is a new target's first resolution.
    pub(crate) async fn digest_changed(
        &self,
        target: &str,
        tag: &str,
        digest: &str,
        previous: &str,
    ) {
        let event = Event::DigestChanged(DigestChanged {
            target_id: target.into(),
            image: Some(image()),
            tag: tag.into(),
            digest: digest.into(),
            previous_digest: previous.into(),
            ..DigestChanged::default()
        });
        self.bus.publish(event).await.unwrap();
    }

    /// Publishes `targets.deleted` as licensing would.
    pub(crate) async fn target_deleted(&self, target: &str) {
        let event = Event::TargetDeleted(TargetDeleted {
            target: Some(TargetRef {
                target_id: target.into(),
                image: Some(image()),
                tag_rule: "v*".into(),
            }),
        });
        self.bus.publish(event).await.unwrap();
    }

    /// Publishes `scans.completed` for `request` as the scanner would.
    pub(crate) async fn complete(&self, request: &ScanRequested, counts: SeverityCounts) {
        self.bus.publish(completed(request, counts)).await.unwrap();
    }

    /// Waits until the scheduler's durable consumer has acked everything
    /// published to it, so every effect of those events is committed.
    pub(crate) async fn handled(&self, durable: &str, stream: Stream) {
        let name = self.bus.namespace().stream(stream);
        eventually(&format!("{durable} to catch up"), || async {
            let stream = self.bus.jetstream().get_stream(&name).await.unwrap();
            let mut consumer: PullConsumer = stream.get_consumer(durable).await.unwrap();
            let info = consumer.info().await.unwrap();
            info.num_pending == 0 && info.num_ack_pending == 0
        })
        .await;
    }

    /// Moves the clock to `at` and waits for a timer tick that saw it.
    pub(crate) async fn tick_at(&mut self, at: SystemTime) {
        self.clock.set(at);
        assert!(self.ticks.reached(at).await, "the timer loop stopped");
    }

    /// A target's whole history, newest first.
    pub(crate) async fn history(&mut self, target: &str) -> Vec<Scan> {
        let request = ListScansRequest {
            target_id: target.into(),
            page_size: 500,
            ..ListScansRequest::default()
        };
        self.api
            .list_scans(request)
            .await
            .unwrap()
            .into_inner()
            .scans
    }

    /// One scan as the API shows it.
    pub(crate) async fn scan(&mut self, id: &str) -> Scan {
        let request = GetScanRequest { id: id.into() };
        self.api.get_scan(request).await.unwrap().into_inner()
    }

    /// Waits until scan `id` has status `status`.
    pub(crate) async fn scan_reaches(&mut self, id: &str, status: i32) -> Scan {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let scan = self.scan(id).await;
            if scan.status == status {
                return scan;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "scan {id}: {scan:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the scheduler as SIGTERM would; `f` runs while it is down;
    /// then a new scheduler starts on the same store, bus and clock.
    pub(crate) async fn restart_after<F: AsyncFnOnce(&mut App)>(&mut self, f: F) {
        self.shutdown.cancel();
        (&mut self.running).await.unwrap().unwrap();
        f(self).await;
        let launched = launch(&self.config, &self.clock).await;
        self.api = launched.api;
        self.addr = launched.addr;
        self.ticks = launched.ticks;
        self.shutdown = launched.shutdown;
        self.running = launched.running;
    }

    /// Stops the scheduler and removes its streams and database.
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        self.scanner.stop.cancel();
        self.running.await.unwrap().unwrap();
        self.bus.delete_streams().await;
        if let Some(db) = self.postgres {
            db.drop_database().await;
        }
    }
}

/// A `scans.completed` for `request`.
pub(crate) fn completed(request: &ScanRequested, counts: SeverityCounts) -> Event {
    Event::ScanCompleted(ScanCompleted {
        scan_id: request.scan_id.clone(),
        target_id: request.target_id.clone(),
        digest: request.digest.clone(),
        counts: Some(counts),
        new_issues: counts.critical + counts.high,
        database_version: "osv-test-1".into(),
        ..ScanCompleted::default()
    })
}

/// Publishes `envelope` twice without `Nats-Msg-Id`, so JetStream stores
/// both copies, as it would after a redelivery.
pub(crate) async fn publish_twice(app: &App, envelope: &Envelope, subject: Subject) {
    let subject = app.bus.namespace().subject(subject.as_str());
    for _ in 0..2 {
        let payload = envelope.encode_to_vec();
        let ack = app.bus.jetstream().publish(subject.clone(), payload.into());
        ack.await.unwrap().await.unwrap();
    }
}

/// A stand-in scanner: takes every `scans.requested` off its own durable
/// consumer, acks it, and hands it to the test, which decides whether the
/// scan completes, fails or dies.
pub(crate) struct Scanner {
    requests: mpsc::UnboundedReceiver<Envelope>,
    stop: CancellationToken,
}

impl Scanner {
    async fn start(bus: &Bus) -> Self {
        let spec = ConsumerSpec::new("test-scanner", Stream::Scans, Some(Subject::ScanRequested));
        let consumer = bus.consumer(spec).await.unwrap();
        let (sender, requests) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        let handler = move |delivery: Delivery| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(delivery.envelope);
                Ok(())
            }
        };
        tokio::spawn(consumer.run(handler, stop.clone()));
        Self { requests, stop }
    }

    /// The next request, waiting for it.
    pub(crate) async fn next(&mut self) -> ScanRequested {
        self.next_envelope().await.1
    }

    /// The next request and the envelope it came in.
    pub(crate) async fn next_envelope(&mut self) -> (Envelope, ScanRequested) {
        let envelope = tokio::time::timeout(PATIENCE, self.requests.recv())
            .await
            .expect("a scan request within the deadline")
            .expect("the scanner is running");
        match &envelope.event {
            Some(Event::ScanRequested(request)) => (envelope.clone(), request.clone()),
            other => panic!("not a scan request: {other:?}"),
        }
    }

    /// Fails if a request arrived that the test has not taken.
    pub(crate) fn assert_idle(&mut self) {
        if let Ok(request) = self.requests.try_recv() {
            panic!("unexpected scan request: {request:?}");
        }
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
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
