//! `spawn_app`: a whole tag watcher on real NATS (a fresh namespace per
//! test) and a real database (a fresh PostgreSQL database, or a SQLite file
//! in a temporary folder), with polling off so the test runs each cycle,
//! plus the test's own bus to publish what licensing and discovery would
//! and to observe `tags.digest_changed`.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tagwarden_bus::events::{
    DigestChanged, DiscoveredTag, ImageDiscovered, ImageLocation, TargetCreated, TargetRef,
};
use tagwarden_bus::{Bus, ConsumerSpec, Delivery, Event, Stream, Subject};
use tagwarden_runtime::testing::TestDatabase;
use tagwarden_tag_watcher::notify::{Format, NotificationSource};
use tagwarden_tag_watcher::{Config, Settings, Watcher};
use tagwarden_testkit::{ImageBuilder, LocalRegistry, OciImage};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long any wait in a test may take before it fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// The secret the notification source expects, header value included.
pub(crate) const SECRET: &str = "Bearer watcher-test-secret";

/// Where the app keeps its data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Store {
    Sqlite,
    Postgres,
}

/// What to switch on in the app.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) store: Store,
    pub(crate) notifications: bool,
    /// Attempts per registry request.
    pub(crate) attempts: u32,
    /// The first back-off pause of a failing registry.
    pub(crate) backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            store: Store::Postgres,
            notifications: false,
            attempts: 5,
            backoff: Duration::from_secs(15),
        }
    }
}

/// A running tag watcher and everything a test needs around it.
pub(crate) struct App {
    /// The test's own bus, in the app's namespace.
    pub(crate) bus: Bus,
    pub(crate) watcher: Watcher,
    pub(crate) notifications: Option<SocketAddr>,
    pub(crate) events: Events,
    config: Config,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
    postgres: Option<TestDatabase>,
    _dir: tempfile::TempDir,
}

pub(crate) async fn spawn_app(options: Options) -> App {
    let dir = tempfile::tempdir().unwrap();
    let postgres = match options.store {
        Store::Sqlite => None,
        Store::Postgres => Some(TestDatabase::create().await),
    };
    let config = config(
        dir.path(),
        postgres.as_ref().map(|db| db.url.clone()),
        options,
    );
    let (watcher, notifications, shutdown, running) = launch(&config).await;
    let bus = Bus::connect(&config.nats, "test").await.unwrap();
    let events = Events::observe(&bus).await;
    App {
        bus,
        watcher,
        notifications,
        events,
        config,
        shutdown,
        running,
        postgres,
        _dir: dir,
    }
}

type Launched = (
    Watcher,
    Option<SocketAddr>,
    CancellationToken,
    JoinHandle<anyhow::Result<()>>,
);

async fn launch(config: &Config) -> Launched {
    let shutdown = CancellationToken::new();
    let started = tagwarden_tag_watcher::start(config.clone(), shutdown.clone())
        .await
        .expect("the tag watcher starts");
    let (watcher, notifications) = (started.watcher(), started.notifications_addr());
    let running = tokio::spawn(started.run());
    (watcher, notifications, shutdown, running)
}

fn config(data_dir: &std::path::Path, database_url: Option<String>, options: Options) -> Config {
    let notifications = tagwarden_tag_watcher::notify::NotificationSettings {
        listen: options
            .notifications
            .then(|| "127.0.0.1:0".parse().unwrap()),
        sources: vec![NotificationSource {
            name: "local".into(),
            format: Format::Distribution,
            registry: None,
            header: "Authorization".into(),
            secret: SECRET.to_owned().into(),
        }],
    };
    let mut config = Config {
        data_dir: data_dir.to_owned(),
        shutdown_grace: Duration::from_secs(5),
        service: Settings {
            poll_interval: Duration::ZERO,
            registry_attempts: options.attempts,
            registry_backoff: options.backoff,
            notifications,
            ..Settings::default()
        },
        ..Config::default()
    };
    config.database.url = database_url.map(Into::into);
    config.nats.namespace = format!("t{}", uuid::Uuid::now_v7().simple());
    config.grpc.listen = Some("127.0.0.1:0".parse().unwrap());
    config.grpc.token = Some("test-token".to_owned().into());
    config
}

impl App {
    /// Stops the watcher as SIGTERM would and starts it again on the same
    /// database and streams.
    pub(crate) async fn restart(&mut self) {
        self.stop_service().await;
        let (watcher, notifications, shutdown, running) = launch(&self.config).await;
        (self.watcher, self.notifications) = (watcher, notifications);
        (self.shutdown, self.running) = (shutdown, running);
    }

    async fn stop_service(&mut self) {
        self.shutdown.cancel();
        (&mut self.running).await.unwrap().unwrap();
    }

    /// Stops everything and removes the streams and the database.
    pub(crate) async fn stop(mut self) {
        self.stop_service().await;
        self.events.shutdown.cancel();
        self.bus.delete_streams().await;
        if let Some(db) = self.postgres.take() {
            db.drop_database().await;
        }
    }

    /// Publishes `targets.created` as licensing would.
    pub(crate) async fn add_target(&self, id: &str, registry: &str, repository: &str, rule: &str) {
        let target = TargetRef {
            target_id: id.to_owned(),
            image: Some(location(registry, repository)),
            tag_rule: rule.to_owned(),
        };
        let event = Event::TargetCreated(TargetCreated {
            target: Some(target),
        });
        self.bus.publish(event).await.unwrap();
    }

    /// Publishes `discovery.image.discovered` with registry-reported push
    /// times, and waits until the watcher has handled it.
    pub(crate) async fn discovered(
        &self,
        registry: &str,
        repository: &str,
        tags: &[(&str, &str, DateTime<Utc>)],
    ) {
        let tags = tags
            .iter()
            .map(|(tag, digest, pushed)| DiscoveredTag {
                tag: (*tag).to_owned(),
                digest: (*digest).to_owned(),
                media_type: String::new(),
                pushed_at: Some(prost_types::Timestamp {
                    seconds: pushed.timestamp(),
                    nanos: 0,
                }),
                pushed_at_from_config: false,
            })
            .collect();
        let event = Event::ImageDiscovered(ImageDiscovered {
            image: Some(location(registry, repository)),
            tags,
        });
        self.bus.publish(event).await.unwrap();
        self.consumed(Stream::Discovery).await;
    }

    /// Waits until the watcher's consumer on `stream` has acked everything.
    async fn consumed(&self, stream: Stream) {
        let name = self.bus.namespace().stream(stream);
        let js = self.bus.jetstream();
        eventually("the watcher consumes its events", || async {
            let stream = js.get_stream(&name).await.unwrap();
            let mut consumer: async_nats::jetstream::consumer::PullConsumer =
                stream.get_consumer("tag-watcher").await.unwrap();
            let info = consumer.info().await.unwrap();
            info.num_pending == 0 && info.num_ack_pending == 0
        })
        .await;
    }

    /// Messages in the TAGS stream: every `tags.digest_changed` ever sent.
    pub(crate) async fn announced(&self) -> u64 {
        let name = self.bus.namespace().stream(Stream::Tags);
        let mut stream = self.bus.jetstream().get_stream(name).await.unwrap();
        stream.info().await.unwrap().state.messages
    }
}

pub(crate) fn location(registry: &str, repository: &str) -> ImageLocation {
    ImageLocation {
        integration_id: "integration-1".into(),
        provider: "oci".into(),
        account: String::new(),
        registry: registry.to_owned(),
        repository: repository.to_owned(),
    }
}

/// The `tags.digest_changed` events the watcher publishes, in order.
pub(crate) struct Events {
    received: mpsc::UnboundedReceiver<DigestChanged>,
    shutdown: CancellationToken,
}

impl Events {
    async fn observe(bus: &Bus) -> Self {
        let spec = ConsumerSpec::new("test-observer", Stream::Tags, Some(Subject::DigestChanged));
        let consumer = bus.consumer(spec).await.unwrap();
        let (sender, received) = mpsc::unbounded_channel();
        let handler = move |delivery: Delivery| {
            let sender = sender.clone();
            async move {
                if let Event::DigestChanged(event) = delivery.event() {
                    let _ = sender.send(event.clone());
                }
                Ok(())
            }
        };
        let shutdown = CancellationToken::new();
        tokio::spawn(consumer.run(handler, shutdown.clone()));
        Self { received, shutdown }
    }

    /// The next event, failing the test after [`PATIENCE`].
    pub(crate) async fn next(&mut self) -> DigestChanged {
        self.within(PATIENCE)
            .await
            .expect("a tags.digest_changed event")
    }

    /// The next event if it comes within `limit`.
    pub(crate) async fn within(&mut self, limit: Duration) -> Option<DigestChanged> {
        tokio::time::timeout(limit, self.received.recv())
            .await
            .ok()
            .flatten()
    }

    /// Whether an event was received and not yet taken.
    pub(crate) fn pending(&mut self) -> bool {
        !self.received.is_empty()
    }
}

/// Polls `check` until it holds, failing after [`PATIENCE`].
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A small real image whose one file holds `content`, so different
/// contents give different digests.
pub(crate) fn image(content: &str) -> OciImage {
    tokio::task::block_in_place(|| ImageBuilder::new().file("app/version", content).build())
}

/// Pushes `image` to `registry` as `repo_tag` (skopeo, blocking).
pub(crate) fn push(image: &OciImage, registry: &LocalRegistry, repo_tag: &str) {
    tokio::task::block_in_place(|| image.push(registry, repo_tag));
}
