//! The test support itself, against the real tools: a registry comes up
//! and goes away, images built with umoci push with skopeo in every
//! format, and an index with an attestation entry pushes whole.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use tagwarden_testkit::{
    ImageBuilder, LocalRegistry, NotificationEndpoint, OciImage, PushFormat, RegistryOptions,
};

fn manifest(registry: &LocalRegistry, repo: &str, tag: &str) -> (String, serde_json::Value) {
    let accept = "application/vnd.oci.image.index.v1+json, \
                  application/vnd.oci.image.manifest.v1+json, \
                  application/vnd.docker.distribution.manifest.v2+json";
    let r = registry.request(
        "GET",
        &format!("/v2/{repo}/manifests/{tag}"),
        &[("Accept", accept.to_owned())],
        &[],
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let content_type = r.header("content-type").unwrap().to_owned();
    (content_type, serde_json::from_slice(&r.body).unwrap())
}

#[test]
fn registry_answers_and_stops_on_drop() {
    let registry = LocalRegistry::start();
    let host = registry.host().to_owned();
    assert!(host.starts_with("127.0.0.1:"));
    assert_eq!(registry.request("GET", "/v2/", &[], &[]).status, 200);
    drop(registry);
    assert!(
        std::net::TcpStream::connect(&host).is_err(),
        "still listening on {host}"
    );
}

#[test]
fn images_push_in_oci_and_docker_formats_with_layers_and_whiteouts() {
    let registry = LocalRegistry::start();
    let image = ImageBuilder::new()
        .file("etc/os-release", "ID=test\n")
        .file("gone.txt", "soon deleted")
        .layer()
        .remove("gone.txt")
        .symlink("link", "etc/os-release")
        .build();
    image.push(&registry, "kit/app:oci");
    image.push_as(&registry, "kit/app:v2s2", PushFormat::DockerV2S2);

    let layout_manifest: serde_json::Value =
        serde_json::from_slice(&image.blob(&image.digest())).unwrap();
    let top = layout_manifest["layers"][1]["digest"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("top.tar.gz"), image.blob(top)).unwrap();
    let listing = std::process::Command::new("tar")
        .arg("-tzf")
        .arg(dir.path().join("top.tar.gz"))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.lines().any(|l| l.ends_with(".wh.gone.txt")),
        "{listing}"
    );

    let (ct, oci) = manifest(&registry, "kit/app", "oci");
    assert_eq!(ct, "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(oci["layers"].as_array().unwrap().len(), 2);
    let pushed = registry.request(
        "HEAD",
        "/v2/kit/app/manifests/oci",
        &[("Accept", ct.clone())],
        &[],
    );
    assert_eq!(
        pushed.header("docker-content-digest"),
        Some(image.digest().as_str())
    );

    let (ct, _) = manifest(&registry, "kit/app", "v2s2");
    assert_eq!(ct, "application/vnd.docker.distribution.manifest.v2+json");
}

#[test]
fn basic_auth_registries_refuse_strangers_and_accept_pushes_with_credentials() {
    let registry = LocalRegistry::start_with_basic_auth("ci", "s3cret");
    assert_eq!(registry.anonymous_request("GET", "/v2/").status, 401);
    assert_eq!(registry.request("GET", "/v2/", &[], &[]).status, 200);
    ImageBuilder::new()
        .file("a", "b")
        .build()
        .push(&registry, "private/app:v1");
    let (_, m) = manifest(&registry, "private/app", "v1");
    assert_eq!(m["schemaVersion"], 2);
}

#[test]
fn schema1_pushes_when_the_registry_accepts_it() {
    let options = RegistryOptions {
        accept_schema1: true,
        ..RegistryOptions::default()
    };
    let registry = LocalRegistry::start_with(options);
    ImageBuilder::new().file("a", "b").build().push_as(
        &registry,
        "old/app:v1",
        PushFormat::DockerV2S1,
    );
    let r = registry.request("GET", "/v2/old/app/manifests/v1", &[], &[]);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.docker.distribution.manifest.v1+prettyjws")
    );
}

#[test]
fn an_index_with_an_attestation_pushes_whole() {
    let registry = LocalRegistry::start();
    let amd = ImageBuilder::new()
        .file("arch", "amd64")
        .platform("linux", "amd64")
        .build();
    let arm = ImageBuilder::new()
        .file("arch", "arm64")
        .platform("linux", "arm64")
        .build();
    let index = OciImage::index(&[(&amd, "linux/amd64"), (&arm, "linux/arm64/v8")], true);
    index.push(&registry, "multi/app:v1");

    let (ct, m) = manifest(&registry, "multi/app", "v1");
    assert_eq!(ct, "application/vnd.oci.image.index.v1+json");
    let entries = m["manifests"].as_array().unwrap();
    let platforms: Vec<String> = entries
        .iter()
        .map(|e| {
            format!(
                "{}/{}",
                e["platform"]["os"].as_str().unwrap(),
                e["platform"]["architecture"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64", "unknown/unknown"]);
    assert_eq!(entries[0]["digest"], amd.digest());
    assert_eq!(
        entries[2]["annotations"]["vnd.docker.reference.type"],
        "attestation-manifest"
    );
}

#[test]
fn docker_archives_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.tar");
    ImageBuilder::new()
        .file("a", "b")
        .build()
        .save_docker_archive(&file, "kit/app:v1");
    let listing = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&file)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.lines().any(|l| l == "manifest.json"), "{listing}");
}

/// Accepts webhook POSTs and sends (headers, body) of each down a channel.
fn webhook() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut head, mut length) = (String::new(), 0);
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            if tx
                .send((head, String::from_utf8_lossy(&body).into_owned()))
                .is_err()
            {
                return;
            }
        }
    });
    (url, rx)
}

#[test]
fn pushes_are_notified_to_the_configured_endpoint_with_its_headers() {
    let (url, events) = webhook();
    let headers = vec![("Authorization".to_owned(), "Bearer hook-secret".to_owned())];
    let options = RegistryOptions {
        notifications: Some(NotificationEndpoint { url, headers }),
        ..RegistryOptions::default()
    };
    let registry = LocalRegistry::start_with(options);
    ImageBuilder::new()
        .file("a", "b")
        .build()
        .push(&registry, "hooked/app:v1");

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let (head, body) = events
            .recv_timeout(left)
            .expect("a push event before the deadline");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        let pushed_tag = body["events"].as_array().unwrap().iter().any(|e| {
            e["action"] == "push"
                && e["target"]["repository"] == "hooked/app"
                && e["target"]["tag"] == "v1"
        });
        if pushed_tag {
            assert!(head.contains("Bearer hook-secret"), "{head}");
            break;
        }
    }
}

#[test]
fn blobs_and_manifests_go_in_through_the_api() {
    let registry = LocalRegistry::start();
    let digest = registry.put_blob("api/app", b"{}");
    let head = registry.request("HEAD", &format!("/v2/api/app/blobs/{digest}"), &[], &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("docker-content-digest"), Some(digest.as_str()));
}
