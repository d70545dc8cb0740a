//! Starting the real service for a test: its own NATS namespace, its own
//! database (a SQLite file in a temporary folder, or a fresh PostgreSQL
//! database), port 0, a manual clock, and a gRPC client with the token.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prost::Message as _;
use tagwarden_bus::events::{DiscoveredTag, ImageDiscovered, ImageLocation, ImageRemoved};
use tagwarden_bus::{Bus, Envelope, Event, Stream, Subject};
use tagwarden_licensing::clock::ManualClock;
use tagwarden_licensing::{Config, Settings, StartOptions};
use tagwarden_proto::licensing::v1::licensing_client::LicensingClient;
use tagwarden_runtime::auth::BearerToken;
use tagwarden_runtime::testing::TestDatabase;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The API token every test service requires.
pub(crate) const TOKEN: &str = "test-token";

/// A client of the licensing API that sends the token.
pub(crate) type Client = LicensingClient<InterceptedService<Channel, BearerToken>>;

/// Which database the service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Everything that outlives one run of the service: config, database,
/// namespace, clock. Start the service from it as often as needed.
#[derive(Debug)]
pub(crate) struct Harness {
    config: Config,
    pub(crate) clock: Arc<ManualClock>,
    /// The test's own connection to the namespace, for discovery events and
    /// for reading what the service published.
    pub(crate) bus: Bus,
    pub(crate) dir: tempfile::TempDir,
    postgres: Option<TestDatabase>,
}

/// One run of the service.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) client: Client,
    pub(crate) addr: std::net::SocketAddr,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
}

/// 2026-03-01 12:00 UTC: where every manual clock starts.
pub(crate) fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

impl Harness {
    pub(crate) async fn new(backend: Backend, settings: Settings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            service: settings,
            shutdown_grace: Duration::from_secs(10),
            ..Config::default()
        };
        config.nats.namespace = format!("t{}", uuid::Uuid::now_v7().simple());
        config.grpc.listen = Some("127.0.0.1:0".parse().unwrap());
        config.grpc.token = Some(TOKEN.to_owned().into());
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TestDatabase::create().await),
        };
        if let Some(db) = &postgres {
            config.database.url = Some(db.url.clone().into());
        }
        let bus = Bus::connect(&config.nats, "discovery")
            .await
            .expect("NATS must be running");
        bus.declare_streams().await.unwrap();
        Self {
            config,
            clock: Arc::new(ManualClock::new(start_time())),
            bus,
            dir,
            postgres,
        }
    }

    /// Starts the service, with or without its outbox relay.
    pub(crate) async fn start_with(&self, outbox_relay: bool) -> App {
        let shutdown = CancellationToken::new();
        let options = StartOptions {
            clock: self.clock.clone(),
            outbox_relay,
        };
        let started = tagwarden_licensing::start(self.config.clone(), shutdown.clone(), options)
            .await
            .unwrap();
        let addr = started.local_addr();
        let running = tokio::spawn(started.run());
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let client = LicensingClient::with_interceptor(channel, BearerToken::new(TOKEN).unwrap());
        App {
            client,
            addr,
            shutdown,
            running,
        }
    }

    /// Starts the service as in production.
    pub(crate) async fn start(&self) -> App {
        self.start_with(true).await
    }

    /// Publishes what discovery would after seeing `registry/repository`
    /// with `tags`, and waits until the service has consumed it.
    pub(crate) async fn discover(&self, registry: &str, repository: &str, tags: &[&str]) {
        let event = Event::ImageDiscovered(ImageDiscovered {
            image: Some(location(registry, repository)),
            tags: tags.iter().map(|tag| discovered_tag(tag)).collect(),
        });
        self.publish(event).await;
    }

    /// Publishes that discovery saw `registry/repository` gone, and waits
    /// until the service has consumed it.
    pub(crate) async fn remove(&self, registry: &str, repository: &str) {
        let event = Event::ImageRemoved(ImageRemoved {
            image: Some(location(registry, repository)),
        });
        self.publish(event).await;
    }

    async fn publish(&self, event: Event) {
        self.bus.publish(event).await.unwrap();
        self.consumed().await;
    }

    /// Publishes `event` as if discovery made it at `at`, and waits until
    /// the service has consumed it.
    pub(crate) async fn publish_at(&self, event: Event, at: DateTime<Utc>) {
        let mut envelope = self.bus.envelope(event);
        envelope.occurred_at = Some(prost_types::Timestamp {
            seconds: at.timestamp(),
            nanos: 0,
        });
        self.bus.publish_envelope(&envelope).await.unwrap();
        self.consumed().await;
    }

    /// Waits until the service's discovery consumer has nothing pending or
    /// unacknowledged (it acks only after the projection committed).
    pub(crate) async fn consumed(&self) {
        let name = self.bus.namespace().stream(Stream::Discovery);
        eventually("discovery events consumed", || async {
            let Ok(stream) = self.bus.jetstream().get_stream(&name).await else {
                return false;
            };
            let consumer: Result<async_nats::jetstream::consumer::PullConsumer, _> =
                stream.get_consumer("licensing").await;
            let Ok(mut consumer) = consumer else {
                return false;
            };
            let info = consumer.info().await.unwrap();
            info.num_pending == 0 && info.num_ack_pending == 0
        })
        .await;
    }

    /// Every envelope on `subject` in the namespace, in stream order.
    pub(crate) async fn published(&self, subject: Subject) -> Vec<Envelope> {
        let name = self.bus.namespace().stream(subject.stream());
        let mut stream = self.bus.jetstream().get_stream(&name).await.unwrap();
        let state = stream.info().await.unwrap().state.clone();
        let full = self.bus.namespace().subject(subject.as_str());
        let mut envelopes = Vec::new();
        if state.messages == 0 {
            return envelopes;
        }
        for sequence in state.first_sequence..=state.last_sequence {
            let message = stream.get_raw_message(sequence).await.unwrap();
            if message.subject.as_str() == full {
                envelopes.push(Envelope::decode(message.payload).unwrap());
            }
        }
        envelopes
    }

    /// Removes the namespace's streams and the PostgreSQL database.
    pub(crate) async fn cleanup(self) {
        self.bus.delete_streams().await;
        if let Some(db) = self.postgres {
            db.drop_database().await;
        }
    }

    /// The database URL the service uses.
    pub(crate) fn database_url(&self) -> String {
        match &self.postgres {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}/licensing.db", self.dir.path().display()),
        }
    }
}

impl App {
    /// Stops the service and waits until it has.
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        self.running.await.unwrap().unwrap();
    }
}

pub(crate) fn location(registry: &str, repository: &str) -> ImageLocation {
    ImageLocation {
        integration_id: "int-oci".into(),
        provider: "oci".into(),
        account: String::new(),
        registry: registry.into(),
        repository: repository.into(),
    }
}

pub(crate) fn discovered_tag(tag: &str) -> DiscoveredTag {
    DiscoveredTag {
        tag: tag.into(),
        digest: format!("sha256:{:064x}", tag.len()),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        pushed_at: Some(prost_types::Timestamp {
            seconds: start_time().timestamp(),
            nanos: 0,
        }),
        pushed_at_from_config: false,
    }
}

/// Polls `check` until it holds, failing the test after 20 s.
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Settings with a pool of `pool_size` seats and the default 30-day lock.
pub(crate) fn pool(pool_size: u32) -> Settings {
    Settings {
        pool_size,
        ..Settings::default()
    }
}
