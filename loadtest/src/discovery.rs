//! Discovery sync: the real discovery service (SQLite, real NATS) syncs a
//! fake registry on loopback holding `repositories` × `tags` distinct
//! images, through its `Refresh` RPC. Reports the time of the first sync
//! (everything new: one HEAD per tag, one manifest and one config read
//! per image, every row written, one event per repository queued), the
//! time until those events are published, the time of a second sync of
//! the unchanged registry, and the registry requests each sync made.
//!
//! The fake registry answers the Distribution API from memory: catalog
//! and tag lists (paged by `n`/`last` with `Link`), manifests by tag or
//! digest (`HEAD` and `GET`, with `Docker-Content-Digest`), and config
//! blobs. Every image is a layerless manifest whose config has its own
//! `created` time, so every digest is distinct.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use sha2::{Digest as _, Sha256};
use tagwarden_bus::{Bus, Stream};
use tagwarden_discovery::{Config, Settings, StartOptions};
use tagwarden_proto::discovery::v1 as pb;
use tagwarden_proto::discovery::v1::discovery_client::DiscoveryClient;
use tagwarden_runtime::auth::BearerToken;
use tokio_util::sync::CancellationToken;

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const TOKEN: &str = "loadtest-token";

/// Options of the discovery scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Repositories in the fake registry.
    #[arg(long, default_value_t = 1000)]
    repositories: usize,
    /// Tags per repository, each a distinct image.
    #[arg(long, default_value_t = 20)]
    tags: usize,
    /// Repositories listed at once.
    #[arg(long, default_value_t = 16)]
    repository_concurrency: usize,
    /// Tags of one repository read at once.
    #[arg(long, default_value_t = 8)]
    tag_concurrency: usize,
    /// NATS URL.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    nats: String,
}

/// The fake registry's content and request counters.
#[derive(Debug, Default)]
struct Fake {
    repositories: Vec<String>,
    tags: HashMap<String, Vec<String>>,
    /// `repo:tag` and digest → manifest digest.
    references: HashMap<String, String>,
    /// Digest → manifest or config bytes.
    blobs: HashMap<String, bytes::Bytes>,
    requests: AtomicU64,
    /// Requests by kind: ping, catalog, tags, manifest HEAD, manifest GET, blob.
    kinds: [AtomicU64; 6],
}

const KINDS: [&str; 6] = [
    "ping",
    "catalog",
    "tag list",
    "manifest HEAD",
    "manifest GET",
    "blob",
];

impl Fake {
    fn count(&self, kind: usize) {
        self.kinds[kind].fetch_add(1, Ordering::Relaxed);
    }

    fn kinds(&self) -> [u64; 6] {
        std::array::from_fn(|i| self.kinds[i].load(Ordering::Relaxed))
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl Fake {
    fn new(repositories: usize, tags: usize) -> Self {
        let mut fake = Fake::default();
        for r in 0..repositories {
            let repo = format!("bench/repo-{r:04}");
            let mut names = Vec::with_capacity(tags);
            for t in 0..tags {
                let tag = format!("v{t:02}");
                let created = format!("2026-01-01T{:02}:{:02}:{:02}Z", t % 24, r / 60 % 60, r % 60);
                let config = serde_json::json!({
                    "created": created, "architecture": "amd64", "os": "linux",
                    "config": {"Labels": {"repo": repo, "tag": tag}},
                    "rootfs": {"type": "layers", "diff_ids": []},
                })
                .to_string();
                let config_digest = sha256(config.as_bytes());
                let manifest = serde_json::json!({
                    "schemaVersion": 2, "mediaType": MANIFEST, "layers": [],
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": config_digest, "size": config.len()},
                })
                .to_string();
                let digest = sha256(manifest.as_bytes());
                fake.blobs.insert(config_digest, config.into());
                fake.blobs.insert(digest.clone(), manifest.into());
                fake.references
                    .insert(format!("{repo}:{tag}"), digest.clone());
                fake.references.insert(format!("{repo}:{digest}"), digest);
                names.push(tag);
            }
            fake.tags.insert(repo.clone(), names);
            fake.repositories.push(repo);
        }
        fake
    }
}

async fn serve(State(fake): State<Arc<Fake>>, request: Request) -> Response {
    fake.requests.fetch_add(1, Ordering::Relaxed);
    let path = request.uri().path().to_owned();
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let field = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let rest = path.strip_prefix("/v2/").unwrap_or_default();
    if rest.is_empty() {
        fake.count(0);
        return reply(StatusCode::OK, &[], bytes::Bytes::from_static(b"{}"));
    }
    if rest == "_catalog" {
        fake.count(1);
        let names = page(&fake.repositories, field("n"), field("last"));
        return listing(
            serde_json::json!({ "repositories": names.0 }),
            names.1,
            &path,
        );
    }
    if let Some(repo) = rest.strip_suffix("/tags/list") {
        fake.count(2);
        let Some(tags) = fake.tags.get(repo) else {
            return reply(StatusCode::NOT_FOUND, &[], bytes::Bytes::new());
        };
        let names = page(tags, field("n"), field("last"));
        return listing(
            serde_json::json!({ "name": repo, "tags": names.0 }),
            names.1,
            &path,
        );
    }
    if let Some((repo, reference)) = rest.split_once("/manifests/") {
        fake.count(if request.method() == Method::HEAD {
            3
        } else {
            4
        });
        let found = fake.references.get(&format!("{repo}:{reference}"));
        let Some((digest, body)) = found.and_then(|d| Some((d, fake.blobs.get(d)?))) else {
            return reply(StatusCode::NOT_FOUND, &[], bytes::Bytes::new());
        };
        let headers = [
            ("content-type", MANIFEST),
            ("docker-content-digest", digest.as_str()),
        ];
        let body = if request.method() == Method::HEAD {
            bytes::Bytes::new()
        } else {
            body.clone()
        };
        let length = fake.blobs[digest].len().to_string();
        let mut all = headers.to_vec();
        all.push(("content-length", &length));
        return reply(StatusCode::OK, &all, body);
    }
    if let Some((_, digest)) = rest.split_once("/blobs/")
        && let Some(body) = fake.blobs.get(digest)
    {
        fake.count(5);
        return reply(
            StatusCode::OK,
            &[("content-type", "application/octet-stream")],
            body.clone(),
        );
    }
    reply(StatusCode::NOT_FOUND, &[], bytes::Bytes::new())
}

/// One page of `names` after `last`, and the last name if more follow.
fn page(
    names: &[String],
    n: Option<String>,
    last: Option<String>,
) -> (Vec<&String>, Option<String>) {
    let n: usize = n.and_then(|n| n.parse().ok()).unwrap_or(100);
    let start = last.map_or(0, |l| {
        names.iter().position(|x| *x > l).unwrap_or(names.len())
    });
    let page: Vec<&String> = names.iter().skip(start).take(n).collect();
    let more = (start + n < names.len())
        .then(|| page.last().map(|l| (*l).clone()))
        .flatten();
    (page, more)
}

fn listing(body: serde_json::Value, more: Option<String>, path: &str) -> Response {
    let link = more.map(|last| format!(r#"<{path}?n=1000&last={last}>; rel="next""#));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(link) = &link {
        headers.push(("link", link.as_str()));
    }
    reply(StatusCode::OK, &headers, body.to_string().into())
}

fn reply(status: StatusCode, headers: &[(&str, &str)], body: bytes::Bytes) -> Response {
    let mut out = Response::builder().status(status);
    for (name, value) in headers {
        out = out.header(*name, *value);
    }
    out.body(Body::from(body)).unwrap_or_default()
}

pub(crate) async fn run(args: Args) -> anyhow::Result<()> {
    let built = Instant::now();
    let fake = Arc::new(Fake::new(args.repositories, args.tags));
    println!(
        "fake registry: {} repositories x {} tags ({} images) built in {:.1?}",
        args.repositories,
        args.tags,
        fake.references.len() / 2,
        built.elapsed()
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let host = listener.local_addr()?.to_string();
    let router = Router::new().fallback(serve).with_state(fake.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let dir = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: dir.path().to_owned(),
        service: Settings {
            sync_interval: Duration::ZERO,
            repository_concurrency: args.repository_concurrency,
            tag_concurrency: args.tag_concurrency,
            ..Settings::default()
        },
        ..Config::default()
    };
    config.nats.url = args.nats.clone();
    config.nats.namespace = format!("load{}", uuid::Uuid::now_v7().simple());
    config.grpc.listen = Some("127.0.0.1:0".parse()?);
    config.grpc.token = Some(TOKEN.to_owned().into());
    let shutdown = CancellationToken::new();
    let started =
        tagwarden_discovery::start(config.clone(), shutdown.clone(), StartOptions::default())
            .await?;
    let addr = started.local_addr();
    let service = tokio::spawn(started.run());
    let bus = Bus::connect(&config.nats, "loadtest").await?;
    let result = measure(&args, &host, &fake, &bus, addr).await;
    shutdown.cancel();
    let _ = service.await;
    bus.delete_streams().await;
    server.abort();
    result
}

async fn measure(
    args: &Args,
    host: &str,
    fake: &Fake,
    bus: &Bus,
    addr: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut client = DiscoveryClient::with_interceptor(channel, BearerToken::new(TOKEN)?);
    let add = pb::AddIntegrationRequest {
        name: "bench".into(),
        provider: "oci".into(),
        registry: host.to_owned(),
        ..Default::default()
    };
    let id = client.add_integration(add).await?.into_inner().id;

    for (label, expect_events) in [
        ("first sync (all new)", true),
        ("second sync (unchanged)", false),
    ] {
        let before = fake.requests.load(Ordering::Relaxed);
        let kinds_before = fake.kinds();
        let started = Instant::now();
        let result = client
            .refresh(pb::RefreshRequest {
                integration_id: id.clone(),
            })
            .await?
            .into_inner();
        let took = started.elapsed();
        let requests = fake.requests.load(Ordering::Relaxed) - before;
        anyhow::ensure!(result.ok, "sync failed: {}", result.error);
        println!(
            "{label}: {:.2} s, {} repositories, {} tags, {} discovered; {} registry requests ({:.0}/s)",
            took.as_secs_f64(),
            result.repositories,
            result.tags,
            result.discovered,
            requests,
            requests as f64 / took.as_secs_f64()
        );
        let kinds = fake.kinds();
        let breakdown: Vec<String> = KINDS
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{name} {}", kinds[i] - kinds_before[i]))
            .collect();
        println!("  requests: {}", breakdown.join(", "));
        if expect_events {
            let published = wait_for_events(bus, u64::from(result.discovered)).await?;
            println!(
                "  events published {:.2} s after the sync returned",
                published.as_secs_f64()
            );
        }
    }
    let goal = if args.repositories * args.tags >= 20_000 {
        " (goal: first sync under 30 s)"
    } else {
        ""
    };
    println!("done{goal}");
    Ok(())
}

/// Waits until the DISCOVERY stream holds `count` messages.
async fn wait_for_events(bus: &Bus, count: u64) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let name = bus.namespace().stream(Stream::Discovery);
    let deadline = started + Duration::from_secs(120);
    loop {
        let mut stream = bus.jetstream().get_stream(&name).await?;
        if stream.info().await?.state.messages >= count {
            return Ok(started.elapsed());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "events not published within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
