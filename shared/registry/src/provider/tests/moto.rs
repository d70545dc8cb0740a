//! ECR against a real `moto` server (PyPI `moto[server]`) through
//! `aws-sdk-ecr` with an endpoint override. `moto` has no registry behind
//! it, so pulls go to a local `docker-registry` that wants the user name
//! and password moto's `GetAuthorizationToken` hands out.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use tagwarden_testkit::{ImageBuilder, LocalRegistry};

use crate::provider::clock::ManualClock;
use crate::provider::ecr::{EcrProvider, EcrSettings};
use crate::provider::{PushedAtSource, RegistryProvider, snapshot};
use crate::{ClientConfig, Platform, RegistryClient};

/// A `moto_server` on a free loopback port, killed on drop.
#[derive(Debug)]
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server must be installed (infra/local/moto.sh)");
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn manifest(layer: char) -> String {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": format!("sha256:{}", "c".repeat(64)),
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 32654,
            "digest": format!("sha256:{}", layer.to_string().repeat(64)),
        }],
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_moto_repositories_and_pulls_with_its_token() {
    super::install_crypto();
    let moto = Moto::start();
    let client = super::ecr::client(&moto.endpoint);
    for name in ["team/app", "team/api"] {
        client
            .create_repository()
            .repository_name(name)
            .send()
            .await
            .unwrap();
    }
    for (tag, layer) in [("v1", 'a'), ("v2", 'b')] {
        client
            .put_image()
            .repository_name("team/app")
            .image_manifest(manifest(layer))
            .image_tag(tag)
            .send()
            .await
            .unwrap();
    }
    // moto's token expires on 2015-01-01; a clock before that keeps it.
    let clock = DateTime::parse_from_rfc3339("2014-12-31T12:00:00Z")
        .unwrap()
        .to_utc();
    let registry = LocalRegistry::start_with_basic_auth("AWS", "123456789012-auth-token");
    let settings = EcrSettings {
        region: "eu-west-1".into(),
        registry_host: Some(registry.host().parse().unwrap()),
        ..EcrSettings::default()
    };
    let provider = EcrProvider::with_client(client, settings, Arc::new(ManualClock::new(clock)))
        .await
        .unwrap();

    let listing = snapshot(&provider, 2).await.unwrap();

    assert_eq!(provider.account(), "123456789012");
    let names: Vec<&str> = listing.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["team/app", "team/api"]);
    let mut tags: Vec<&str> = listing[0]
        .images
        .iter()
        .filter_map(|i| i.tag.as_deref())
        .collect();
    tags.sort_unstable();
    assert_eq!(tags, ["v1", "v2"]);
    assert!(
        listing[0]
            .images
            .iter()
            .all(|i| i.pushed_at_source == PushedAtSource::Registry)
    );
    assert!(listing[1].images.is_empty());

    let image = ImageBuilder::new()
        .file("a.txt", "pulled with ECR's token")
        .build();
    image.push(&registry, "team/app:v1");
    let pull = RegistryClient::new(ClientConfig::default(), provider.pull_credentials()).unwrap();
    let reference = format!("{}/team/app:v1", registry.host()).parse().unwrap();
    let resolved = pull
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();
    assert_eq!(resolved.digest.to_string(), image.digest());
}
