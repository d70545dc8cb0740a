//! Tag watcher: poll cycles over many targets (10,000 on 2,000 repositories
//! by default) against a loopback stand-in registry that serves real
//! manifests and counts every request. The watcher runs in-process with
//! its real store (SQLite in a temporary folder, or `--database-url`) and
//! real NATS (a namespace of its own, deleted afterwards).
//!
//! Phases: discovery reports every repository with push times; licensing
//! creates the targets (each resolved at once, as in production); then a
//! steady cycle (nothing changed), a cycle after `production` was re-pushed
//! in some repositories, and another steady cycle. Each prints requests by
//! kind, the peak of requests in flight, events and wall time.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use tagwarden_bus::events::{
    DiscoveredTag, ImageDiscovered, ImageLocation, TargetCreated, TargetRef,
};
use tagwarden_bus::{Bus, Event, Stream};
use tagwarden_registry::Digest;
use tagwarden_tag_watcher::{Config, CycleReport, Settings};
use tokio_util::sync::CancellationToken;

/// Options of the tag-watcher scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// NATS URL.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    url: String,
    /// Repositories in the stand-in registry.
    #[arg(long, default_value_t = 2_000)]
    repositories: usize,
    /// Targets per repository (1 to 5; one rule each).
    #[arg(long, default_value_t = 5)]
    targets_per_repository: usize,
    /// Requests in flight at once to the registry.
    #[arg(long, default_value_t = 8)]
    registry_concurrency: usize,
    /// Repositories refreshed at once in a cycle.
    #[arg(long, default_value_t = 32)]
    cycle_concurrency: usize,
    /// Percent of repositories whose `production` is re-pushed.
    #[arg(long, default_value_t = 10)]
    repush_percent: usize,
    /// The watcher's database; a SQLite file in a temporary folder if unset.
    #[arg(long)]
    database_url: Option<String>,
}

/// Every repository's tags; the rules below match all of them.
const TAGS: [&str; 10] = [
    "latest",
    "production",
    "production-1",
    "production-2",
    "production-3",
    "v1.0",
    "v1.1",
    "v1.2",
    "staging-1",
    "staging-2",
];
const RULES: [&str; 5] = ["production", "latest", "production-*", "v1.*", "staging-*"];

pub(crate) async fn run(args: Args) -> anyhow::Result<()> {
    let registry = StandIn::start(args.repositories).await?;
    let dir = tempfile::tempdir().context("failed to make a temporary folder")?;
    let config = config(&args, dir.path());
    let shutdown = CancellationToken::new();
    let started = tagwarden_tag_watcher::start(config.clone(), shutdown.clone()).await?;
    let watcher = started.watcher();
    let running = tokio::spawn(started.run());
    let bus = Bus::connect(&config.nats, "loadtest").await?;

    let result = measure(&args, &registry, &bus, &watcher).await;
    shutdown.cancel();
    running.await??;
    bus.delete_streams().await;
    result
}

fn config(args: &Args, data_dir: &std::path::Path) -> Config {
    let mut config = Config {
        data_dir: data_dir.to_owned(),
        service: Settings {
            poll_interval: Duration::ZERO,
            registry_concurrency: args.registry_concurrency,
            cycle_concurrency: args.cycle_concurrency,
            ..Settings::default()
        },
        ..Config::default()
    };
    config.database.url = args.database_url.clone().map(Into::into);
    config.database.max_connections = 16;
    config.nats.url = args.url.clone();
    config.nats.namespace = format!("load{}", uuid::Uuid::now_v7().simple());
    config.grpc.listen = Some(([127, 0, 0, 1], 0).into());
    config.grpc.token = Some("loadtest".to_owned().into());
    config
}

async fn measure(
    args: &Args,
    registry: &StandIn,
    bus: &Bus,
    watcher: &tagwarden_tag_watcher::Watcher,
) -> anyhow::Result<()> {
    let per_repository = args.targets_per_repository.clamp(1, RULES.len());
    let targets = (args.repositories * per_repository) as u64;
    print_header(args, targets);

    let started = registry.phase();
    announce_images(bus, registry).await?;
    wait_until_consumed(bus, Stream::Discovery).await?;
    create_targets(bus, registry, per_repository).await?;
    wait_for_events(bus, targets).await?;
    watcher.wait_idle().await;
    registry.report("targets created", started, targets, None);

    for (phase, repush) in [
        ("steady", 0),
        ("re-pushed", args.repush_percent),
        ("steady", 0),
    ] {
        let changed = registry.repush_production(repush);
        let started = registry.phase();
        let cycle = watcher.poll_now().await;
        registry.report(phase, started, cycle.work.events as u64, Some(&cycle));
        anyhow::ensure!(
            cycle.work.events == changed,
            "expected {changed} events: {cycle:?}"
        );
        anyhow::ensure!(cycle.failed == 0, "repositories failed: {cycle:?}");
    }
    Ok(())
}

/// Discovery's view: every repository with a push time per tag.
async fn announce_images(bus: &Bus, registry: &StandIn) -> anyhow::Result<()> {
    let pushed = prost_types::Timestamp {
        seconds: 1_800_000_000,
        nanos: 0,
    };
    for (repository, tags) in registry.snapshot() {
        let tags = tags
            .into_iter()
            .enumerate()
            .map(|(n, (tag, digest))| DiscoveredTag {
                tag,
                digest,
                media_type: String::new(),
                pushed_at: Some(prost_types::Timestamp {
                    seconds: pushed.seconds + n as i64,
                    nanos: 0,
                }),
                pushed_at_from_config: false,
            })
            .collect();
        let image = Some(location(&registry.host, &repository));
        bus.publish(Event::ImageDiscovered(ImageDiscovered { image, tags }))
            .await?;
    }
    Ok(())
}

/// Licensing's part: one `targets.created` per repository and rule.
async fn create_targets(
    bus: &Bus,
    registry: &StandIn,
    per_repository: usize,
) -> anyhow::Result<()> {
    let mut pending = tokio::task::JoinSet::new();
    for repository in registry.snapshot().into_keys() {
        for rule in &RULES[..per_repository] {
            if pending.len() >= 64
                && let Some(done) = pending.join_next().await
            {
                done??;
            }
            let target = TargetRef {
                target_id: uuid::Uuid::now_v7().to_string(),
                image: Some(location(&registry.host, &repository)),
                tag_rule: (*rule).to_owned(),
            };
            let event = Event::TargetCreated(TargetCreated {
                target: Some(target),
            });
            let bus = bus.clone();
            pending.spawn(async move { bus.publish(event).await.map(drop) });
        }
    }
    while let Some(done) = pending.join_next().await {
        done??;
    }
    Ok(())
}

/// Waits until the watcher's consumer on `stream` has handled everything.
async fn wait_until_consumed(bus: &Bus, stream: Stream) -> anyhow::Result<()> {
    let name = bus.namespace().stream(stream);
    let deadline = Instant::now() + Duration::from_secs(10 * 60);
    loop {
        let stream = bus.jetstream().get_stream(&name).await?;
        let mut consumer: async_nats::jetstream::consumer::PullConsumer = stream
            .get_consumer("tag-watcher")
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the watcher's consumer: {e}"))?;
        let info = consumer.info().await?;
        if info.num_pending == 0 && info.num_ack_pending == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the watcher did not drain {name}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the TAGS stream holds `count` events.
async fn wait_for_events(bus: &Bus, count: u64) -> anyhow::Result<()> {
    let name = bus.namespace().stream(Stream::Tags);
    let deadline = Instant::now() + Duration::from_secs(30 * 60);
    loop {
        let mut stream = bus.jetstream().get_stream(&name).await?;
        if stream.info().await?.state.messages >= count {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "first resolutions took over 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn location(registry: &str, repository: &str) -> ImageLocation {
    ImageLocation {
        integration_id: "loadtest".into(),
        provider: "oci".into(),
        account: String::new(),
        registry: registry.to_owned(),
        repository: repository.to_owned(),
    }
}

fn print_header(args: &Args, targets: u64) {
    println!(
        "repositories {}  targets {targets}  tags/repository {}  registry concurrency {}  \
         cycle concurrency {}  store {}",
        args.repositories,
        TAGS.len(),
        args.registry_concurrency,
        args.cycle_concurrency,
        if args.database_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        },
    );
    println!(
        "{:<16} {:>8} {:>8} {:>8} {:>8} {:>6} {:>7} {:>10}",
        "phase", "lists", "heads", "gets", "total", "peak", "events", "wall"
    );
}

/// A registry that serves `TAGS` in each of its repositories, each tag a
/// real OCI manifest (with a config blob) whose digest is its sha256.
#[derive(Clone)]
struct StandIn {
    host: String,
    state: Arc<Registry>,
}

/// Per repository, per tag: the manifest digest and bytes.
type Manifests = BTreeMap<String, BTreeMap<String, (String, Bytes)>>;

#[derive(Default)]
struct Registry {
    repositories: Mutex<Manifests>,
    blobs: Mutex<HashMap<String, Bytes>>,
    generation: AtomicU64,
    lists: AtomicU64,
    heads: AtomicU64,
    gets: AtomicU64,
    in_flight: AtomicU64,
    peak: AtomicU64,
}

/// The counters at the start of a phase.
struct Phase {
    started: Instant,
    counts: [u64; 3],
}

impl StandIn {
    async fn start(repositories: usize) -> anyhow::Result<Self> {
        let state = Arc::new(Registry::default());
        for n in 0..repositories {
            for tag in TAGS {
                state.push(&format!("bench/app-{n:05}"), tag);
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let host = listener.local_addr()?.to_string();
        let app = Router::new().fallback(serve).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { host, state })
    }

    fn snapshot(&self) -> BTreeMap<String, Vec<(String, String)>> {
        let repositories = self
            .state
            .repositories
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        repositories
            .iter()
            .map(|(repo, tags)| {
                let tags = tags
                    .iter()
                    .map(|(t, (d, _))| (t.clone(), d.clone()))
                    .collect();
                (repo.clone(), tags)
            })
            .collect()
    }

    /// Re-pushes `production` in `percent` of the repositories; returns how many.
    fn repush_production(&self, percent: usize) -> usize {
        let names: Vec<String> = self.snapshot().into_keys().collect();
        let count = names.len() * percent / 100;
        for name in &names[..count] {
            self.state.push(name, "production");
        }
        count
    }

    fn phase(&self) -> Phase {
        self.state.peak.store(0, Ordering::SeqCst);
        Phase {
            started: Instant::now(),
            counts: self.state.counts(),
        }
    }

    fn report(&self, name: &str, phase: Phase, events: u64, cycle: Option<&CycleReport>) {
        let wall = phase.started.elapsed();
        let now = self.state.counts();
        let [lists, heads, gets] = [0, 1, 2].map(|i| now[i] - phase.counts[i]);
        let peak = self.state.peak.load(Ordering::SeqCst);
        let total = lists + heads + gets;
        println!(
            "{name:<16} {lists:>8} {heads:>8} {gets:>8} {total:>8} {peak:>6} {events:>7} {:>9.2}s",
            wall.as_secs_f64()
        );
        if let Some(cycle) = cycle {
            println!(
                "{:<16} repositories {} refreshed {} deferred {} failed {}  {:.0} requests/s",
                "",
                cycle.repositories,
                cycle.refreshed,
                cycle.deferred,
                cycle.failed,
                total as f64 / wall.as_secs_f64()
            );
        }
    }
}

impl Registry {
    /// Stores a new image under `repository:tag`.
    fn push(&self, repository: &str, tag: &str) {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let config = format!(
            r#"{{"created":"2026-11-01T00:00:00Z","architecture":"amd64","os":"linux",
            "rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"n":"{generation}"}}}}}}"#
        );
        let config_digest = Digest::sha256_of(config.as_bytes()).to_string();
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},
            "layers":[]}}"#,
            config.len()
        );
        let digest = Digest::sha256_of(manifest.as_bytes()).to_string();
        let blobs = &mut self.blobs.lock().unwrap_or_else(|e| e.into_inner());
        blobs.insert(config_digest, Bytes::from(config));
        let mut repositories = self.repositories.lock().unwrap_or_else(|e| e.into_inner());
        let tags = repositories.entry(repository.to_owned()).or_default();
        tags.insert(tag.to_owned(), (digest, Bytes::from(manifest)));
    }

    fn counts(&self) -> [u64; 3] {
        [&self.lists, &self.heads, &self.gets].map(|c| c.load(Ordering::SeqCst))
    }
}

async fn serve(State(registry): State<Arc<Registry>>, request: Request) -> Response {
    let in_flight = registry.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    registry.peak.fetch_max(in_flight, Ordering::SeqCst);
    let response = answer(&registry, request.method(), request.uri().path());
    registry.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

fn answer(registry: &Registry, method: &Method, path: &str) -> Response {
    let Some(path) = path.strip_prefix("/v2/") else {
        return status(StatusCode::NOT_FOUND);
    };
    if path.is_empty() {
        return status(StatusCode::OK);
    }
    if let Some(repository) = path.strip_suffix("/tags/list") {
        registry.lists.fetch_add(1, Ordering::Relaxed);
        let repositories = registry
            .repositories
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Some(tags) = repositories.get(repository) else {
            return status(StatusCode::NOT_FOUND);
        };
        let tags: Vec<&String> = tags.keys().collect();
        let body = serde_json::json!({ "name": repository, "tags": tags }).to_string();
        return body_response("application/json", None, Bytes::from(body), false);
    }
    let counter = if method == Method::HEAD {
        &registry.heads
    } else {
        &registry.gets
    };
    counter.fetch_add(1, Ordering::Relaxed);
    if let Some((repository, reference)) = path.rsplit_once("/manifests/") {
        let repositories = registry
            .repositories
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let found = repositories.get(repository).and_then(|tags| {
            tags.get(reference)
                .or_else(|| tags.values().find(|(digest, _)| digest == reference))
        });
        return match found {
            Some((digest, manifest)) => {
                let media_type = "application/vnd.oci.image.manifest.v1+json";
                body_response(
                    media_type,
                    Some(digest),
                    manifest.clone(),
                    method == Method::HEAD,
                )
            }
            None => status(StatusCode::NOT_FOUND),
        };
    }
    if let Some((_, digest)) = path.rsplit_once("/blobs/") {
        let blobs = registry.blobs.lock().unwrap_or_else(|e| e.into_inner());
        return match blobs.get(digest) {
            Some(blob) => body_response(
                "application/octet-stream",
                Some(digest),
                blob.clone(),
                false,
            ),
            None => status(StatusCode::NOT_FOUND),
        };
    }
    status(StatusCode::NOT_FOUND)
}

fn body_response(media_type: &str, digest: Option<&str>, body: Bytes, head: bool) -> Response {
    let mut response = Response::builder()
        .header("Content-Type", media_type)
        .header("Content-Length", body.len());
    if let Some(digest) = digest {
        response = response.header("Docker-Content-Digest", digest);
    }
    let body = if head {
        Body::empty()
    } else {
        Body::from(body)
    };
    response
        .body(body)
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

fn status(code: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = code;
    response
}
