//! Starting the services a test needs, and running the binary against them
//! with a clean environment (no token, no config file unless given).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tagwarden_bus::events::{DiscoveredTag, ImageDiscovered, ImageLocation};
use tagwarden_bus::{Bus, BusConfig, Event, Stream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The API token every test service requires.
pub(crate) const TOKEN: &str = "test-token";

/// The registry every test image lives in.
pub(crate) const REGISTRY: &str = "127.0.0.1:5000";

/// 2026-03-01 12:00 UTC: where every manual clock stands.
pub(crate) fn start_time() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `tagwardenctl args…` with only `env` set (plus an empty HOME), so
/// nothing of the machine's own environment or config leaks in.
pub(crate) async fn ctl(args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let mut vars: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    vars.entry("HOME".into())
        .or_insert_with(|| home.path().display().to_string());
    // The services run on this runtime: the child is waited for on a
    // blocking thread so they keep answering meanwhile.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tagwardenctl"))
            .args(&args)
            .env_clear()
            .envs(&vars)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The environment pointing the binary at `addr` for `service`, with the
/// right token.
pub(crate) fn env_for(service: &'static str, addr: SocketAddr) -> Vec<(&'static str, String)> {
    let var = match service {
        "licensing" => "TAGWARDEN_LICENSING_URL",
        "scheduler" => "TAGWARDEN_SCHEDULER_URL",
        other => panic!("no test service {other}"),
    };
    vec![
        (var, format!("http://{addr}")),
        ("TAGWARDEN_TOKEN", TOKEN.to_owned()),
    ]
}

/// `env_for` as the borrowed pairs `ctl` takes.
pub(crate) fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A fresh NATS namespace with its streams declared.
pub(crate) async fn namespace() -> (BusConfig, Bus) {
    let config = BusConfig {
        namespace: format!("t{}", uuid::Uuid::now_v7().simple()),
        ..BusConfig::default()
    };
    let bus = Bus::connect(&config, "discovery")
        .await
        .expect("NATS must be running on 127.0.0.1:4222");
    bus.declare_streams().await.unwrap();
    (config, bus)
}

/// A service running on this runtime until `stop`.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) bus: Bus,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Running {
    /// Stops the service and removes the namespace's streams.
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
        self.bus.delete_streams().await;
    }
}

/// Licensing with a pool of `pool_size` seats, its clock at `start_time`.
pub(crate) async fn licensing(pool_size: u32) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let (nats, bus) = namespace().await;
    let mut config = tagwarden_licensing::Config {
        data_dir: dir.path().to_owned(),
        nats,
        service: tagwarden_licensing::Settings {
            pool_size,
            ..Default::default()
        },
        ..Default::default()
    };
    listen(&mut config.grpc);
    let shutdown = CancellationToken::new();
    let options = tagwarden_licensing::StartOptions {
        clock: Arc::new(tagwarden_licensing::clock::ManualClock::new(start_time())),
        outbox_relay: true,
    };
    let started = tagwarden_licensing::start(config, shutdown.clone(), options)
        .await
        .unwrap();
    let addr = started.local_addr();
    let task = tokio::spawn(started.run());
    Running {
        addr,
        bus,
        shutdown,
        task,
        _dir: dir,
    }
}

/// The scheduler, its clock at `start_time`.
pub(crate) async fn scheduler() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let (nats, bus) = namespace().await;
    let mut config = tagwarden_scheduler::Config {
        data_dir: dir.path().to_owned(),
        nats,
        ..Default::default()
    };
    listen(&mut config.grpc);
    let shutdown = CancellationToken::new();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(start_time().timestamp() as u64);
    let clock = Arc::new(tagwarden_scheduler::ManualClock::at(at));
    let started = tagwarden_scheduler::start(config, clock, shutdown.clone())
        .await
        .unwrap();
    let addr = started.service.local_addr();
    let task = tokio::spawn(started.service.run());
    Running {
        addr,
        bus,
        shutdown,
        task,
        _dir: dir,
    }
}

fn listen(grpc: &mut tagwarden_runtime::grpc::GrpcConfig) {
    grpc.listen = Some("127.0.0.1:0".parse().unwrap());
    grpc.token = Some(TOKEN.to_owned().into());
}

/// Where a test image lives.
pub(crate) fn location(repository: &str) -> ImageLocation {
    ImageLocation {
        integration_id: "int-oci".into(),
        provider: "oci".into(),
        account: String::new(),
        registry: REGISTRY.into(),
        repository: repository.into(),
    }
}

/// Announces `repository` with `tags` as discovery would, and waits until
/// licensing has taken it in.
pub(crate) async fn discover(service: &Running, repository: &str, tags: &[&str]) {
    let event = Event::ImageDiscovered(ImageDiscovered {
        image: Some(location(repository)),
        tags: tags
            .iter()
            .map(|tag| DiscoveredTag {
                tag: (*tag).into(),
                digest: format!("sha256:{:064x}", tag.len()),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                pushed_at: Some(prost_types::Timestamp {
                    seconds: start_time().timestamp(),
                    nanos: 0,
                }),
                pushed_at_from_config: false,
            })
            .collect(),
    });
    service.bus.publish(event).await.unwrap();
    consumed(&service.bus, Stream::Discovery, "licensing").await;
}

/// Waits until `durable` has acked everything on `stream`.
pub(crate) async fn consumed(bus: &Bus, stream: Stream, durable: &str) {
    let name = bus.namespace().stream(stream);
    eventually(&format!("{durable} to consume {name}"), || async {
        let Ok(stream) = bus.jetstream().get_stream(&name).await else {
            return false;
        };
        let consumer: Result<async_nats::jetstream::consumer::PullConsumer, _> =
            stream.get_consumer(durable).await;
        let Ok(mut consumer) = consumer else {
            return false;
        };
        let info = consumer.info().await.unwrap();
        info.num_pending == 0 && info.num_ack_pending == 0
    })
    .await;
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
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Writes `text` as `dir/tagwarden/cli.toml`, where the binary looks when
/// `XDG_CONFIG_HOME` is `dir`.
pub(crate) fn write_config(dir: &Path, text: &str) {
    let folder = dir.join("tagwarden");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("cli.toml"), text).unwrap();
}
