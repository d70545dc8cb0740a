//! Starting the real service for a test: its own NATS namespace, its own
//! database (a SQLite file in a temporary folder, or a fresh PostgreSQL
//! database), port 0, and a gRPC client with the token.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;
use tagwarden_bus::events::{
    ImageDiscovered, ImageLocation, TargetCreated, TargetDeleted, TargetRef,
};
use tagwarden_bus::{Bus, Envelope, Event, Stream, Subject};
use tagwarden_discovery::clock::ManualClock;
use tagwarden_discovery::{Config, Settings, StartOptions};
use tagwarden_proto::discovery::v1 as pb;
use tagwarden_proto::discovery::v1::discovery_client::DiscoveryClient;
use tagwarden_runtime::auth::BearerToken;
use tagwarden_runtime::testing::TestDatabase;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The API token every test service requires.
pub(crate) const TOKEN: &str = "test-token";

/// A client of the discovery API that sends the token.
pub(crate) type Client = DiscoveryClient<InterceptedService<Channel, BearerToken>>;

/// Which database the service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Config, database, namespace and clock of one test.
#[derive(Debug)]
pub(crate) struct Harness {
    config: Config,
    pub(crate) clock: Arc<ManualClock>,
    /// The test's own connection: reads what the service published and
    /// publishes what licensing would.
    pub(crate) bus: Bus,
    _dir: tempfile::TempDir,
    postgres: Option<TestDatabase>,
}

/// One run of the service.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) client: Client,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
}

/// Settings for tests: no periodic sync (tests refresh), fast retries.
pub(crate) fn settings() -> Settings {
    Settings {
        sync_interval: Duration::ZERO,
        registry_attempts: 2,
        registry_retry_delay: Duration::from_millis(10),
        ..Settings::default()
    }
}

impl Harness {
    pub(crate) async fn new(backend: Backend, settings: Settings) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
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
        let bus = Bus::connect(&config.nats, "licensing")
            .await
            .expect("NATS must be running");
        bus.declare_streams().await.unwrap();
        Self {
            config,
            clock: Arc::new(ManualClock::new(chrono::Utc::now())),
            bus,
            _dir: dir,
            postgres,
        }
    }

    pub(crate) async fn start(&self) -> App {
        let shutdown = CancellationToken::new();
        let options = StartOptions {
            clock: self.clock.clone(),
            outbox_relay: true,
        };
        let started = tagwarden_discovery::start(self.config.clone(), shutdown.clone(), options)
            .await
            .unwrap();
        let addr = started.local_addr();
        let running = tokio::spawn(started.run());
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let client = DiscoveryClient::with_interceptor(channel, BearerToken::new(TOKEN).unwrap());
        App {
            client,
            shutdown,
            running,
        }
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

    /// Waits until `count` events are on `subject`, and returns them.
    pub(crate) async fn wait_published(&self, subject: Subject, count: usize) -> Vec<Envelope> {
        let what = format!("{count} events on {subject}");
        eventually(&what, || async {
            self.published(subject).await.len() >= count
        })
        .await;
        let all = self.published(subject).await;
        assert_eq!(all.len(), count, "more events on {subject} than expected");
        all
    }

    /// Publishes `targets.created` (or `deleted`) as licensing would, and
    /// waits until the service consumed it.
    pub(crate) async fn target(
        &self,
        created: bool,
        id: &str,
        registry: &str,
        repo: &str,
        rule: &str,
    ) {
        let target = Some(TargetRef {
            target_id: id.into(),
            image: Some(ImageLocation {
                registry: registry.into(),
                repository: repo.into(),
                ..ImageLocation::default()
            }),
            tag_rule: rule.into(),
        });
        let event = if created {
            Event::TargetCreated(TargetCreated { target })
        } else {
            Event::TargetDeleted(TargetDeleted { target })
        };
        self.bus.publish(event).await.unwrap();
        let name = self.bus.namespace().stream(Stream::Targets);
        eventually("target event consumed", || async {
            let Ok(stream) = self.bus.jetstream().get_stream(&name).await else {
                return false;
            };
            let consumer: Result<async_nats::jetstream::consumer::PullConsumer, _> =
                stream.get_consumer("discovery").await;
            let Ok(mut consumer) = consumer else {
                return false;
            };
            let info = consumer.info().await.unwrap();
            info.num_pending == 0 && info.num_ack_pending == 0
        })
        .await;
    }

    pub(crate) async fn cleanup(self) {
        self.bus.delete_streams().await;
        if let Some(db) = self.postgres {
            db.drop_database().await;
        }
    }
}

impl App {
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        self.running.await.unwrap().unwrap();
    }

    /// Adds an OCI integration for `host`.
    pub(crate) async fn add_oci(&self, name: &str, host: &str) -> pb::Integration {
        let request = pb::AddIntegrationRequest {
            name: name.into(),
            provider: "oci".into(),
            registry: host.into(),
            ..Default::default()
        };
        self.client
            .clone()
            .add_integration(request)
            .await
            .unwrap()
            .into_inner()
    }

    pub(crate) async fn refresh(&self, id: &str) -> pb::SyncResult {
        let request = pb::RefreshRequest {
            integration_id: id.into(),
        };
        self.client
            .clone()
            .refresh(request)
            .await
            .unwrap()
            .into_inner()
    }

    /// Every row of the discovery table for `request` (all pages).
    pub(crate) async fn images(&self, request: pb::ListImagesRequest) -> Vec<pb::ImageRow> {
        let mut all = Vec::new();
        let mut request = request;
        loop {
            let page = self
                .client
                .clone()
                .list_images(request.clone())
                .await
                .unwrap()
                .into_inner();
            all.extend(page.images);
            if page.next_page_token.is_empty() {
                return all;
            }
            request.page_token = page.next_page_token;
        }
    }

    /// `repository:tag` of every row, `repository@` for untagged ones.
    pub(crate) async fn inventory(&self) -> Vec<String> {
        let rows = self.images(pb::ListImagesRequest::default()).await;
        let mut names: Vec<String> = rows
            .iter()
            .map(|r| match r.untagged {
                true => format!("{}@", r.repository),
                false => format!("{}:{}", r.repository, r.tag),
            })
            .collect();
        names.sort();
        names
    }
}

/// The `ImageDiscovered` inside an envelope.
pub(crate) fn discovered(envelope: &Envelope) -> &ImageDiscovered {
    match envelope.event.as_ref() {
        Some(Event::ImageDiscovered(event)) => event,
        other => panic!("not an ImageDiscovered: {other:?}"),
    }
}

/// The repository an event is about.
pub(crate) fn repository(envelope: &Envelope) -> String {
    match envelope.event.as_ref() {
        Some(Event::ImageDiscovered(e)) => e.image.as_ref().unwrap().repository.clone(),
        Some(Event::ImageRemoved(e)) => e.image.as_ref().unwrap().repository.clone(),
        other => panic!("not a discovery event: {other:?}"),
    }
}

/// Polls `check` until it holds, failing the test after 30 s.
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
