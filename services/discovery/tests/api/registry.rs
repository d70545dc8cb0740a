//! A real `docker-registry` behind a loopback proxy that can be told to
//! answer 500 to some requests, the way a registry fails mid-sync.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONNECTION, TRANSFER_ENCODING};
use axum::response::Response;
use tagwarden_testkit::{ImageBuilder, LocalRegistry, OciImage};
use tokio::task::JoinHandle;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A registry and the proxy in front of it.
#[derive(Debug)]
pub(crate) struct Registry {
    pub(crate) real: LocalRegistry,
    /// What clients (the service) are given as the registry host.
    pub(crate) host: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    /// Requests whose path contains this get a 500.
    failing: Mutex<Option<String>>,
}

impl Registry {
    pub(crate) async fn start() -> Self {
        let real = LocalRegistry::start();
        let shared = Arc::new(Shared {
            upstream: real.host().to_owned(),
            http: reqwest::Client::new(),
            failing: Mutex::new(None),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let router = Router::new().fallback(proxy).with_state(shared.clone());
        let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            real,
            host,
            shared,
            task,
        }
    }

    /// Requests whose path contains `part` answer 500 from now on.
    pub(crate) fn fail(&self, part: &str) {
        *self.shared.failing.lock().unwrap() = Some(part.to_owned());
    }

    /// Every request is forwarded again.
    pub(crate) fn heal(&self) {
        *self.shared.failing.lock().unwrap() = None;
    }

    /// Pushes `image` as `repo:tag` (through the real registry).
    pub(crate) fn push(&self, image: &OciImage, repo_tag: &str) {
        image.push(&self.real, repo_tag);
    }

    /// Adds a tag to an image already in `repo`, in one request.
    pub(crate) fn tag(&self, image: &OciImage, repo: &str, tag: &str) {
        let manifest = image.blob(&image.digest());
        self.real.put_manifest(repo, tag, OCI_MANIFEST, &manifest);
    }

    /// Stores a layerless image whose config says it was created at
    /// `created` (RFC 3339) as `repo:tag`; returns its digest.
    pub(crate) fn push_created(&self, repo: &str, tag: &str, created: &str) -> String {
        let config = serde_json::json!({
            "created": created,
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": []},
        })
        .to_string();
        let digest = self.real.put_blob(repo, config.as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest,
                "size": config.len(),
            },
            "layers": [],
        })
        .to_string();
        self.real
            .put_manifest(repo, tag, OCI_MANIFEST, manifest.as_bytes())
    }

    /// Stores `image` in `repo` by digest only: an untagged manifest.
    pub(crate) fn push_untagged(&self, image: &OciImage, repo: &str) {
        let manifest = image.blob(&image.digest());
        let parsed: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
        let config = parsed["config"]["digest"].as_str().unwrap();
        self.real.put_blob(repo, &image.blob(config));
        for layer in parsed["layers"].as_array().unwrap() {
            self.real
                .put_blob(repo, &image.blob(layer["digest"].as_str().unwrap()));
        }
        self.real
            .put_manifest(repo, &image.digest(), OCI_MANIFEST, &manifest);
    }

    /// Deletes a repository the way an operator's cleanup (or a cloud
    /// registry's "delete repository") does: its whole directory, so the
    /// catalog no longer lists it. The Distribution API itself can only
    /// delete manifests, which leaves an empty repository behind.
    pub(crate) fn delete_repository(&self, repo: &str) {
        let dir = self
            .real
            .storage_dir()
            .join("docker/registry/v2/repositories")
            .join(repo);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A small real image whose content is `text`.
pub(crate) fn image(text: &str) -> OciImage {
    ImageBuilder::new().file("content.txt", text).build()
}

async fn proxy(State(s): State<Arc<Shared>>, request: Request) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let failing = s.failing.lock().unwrap().clone();
    if failing.is_some_and(|part| target.contains(&part)) {
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from(
                r#"{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}"#,
            ))
            .unwrap();
    }
    let (method, headers) = (request.method().clone(), request.headers().clone());
    let body = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap();
    let mut out = s
        .http
        .request(method, format!("http://{}{target}", s.upstream));
    for (name, value) in &headers {
        if name != "host" {
            out = out.header(name, value);
        }
    }
    let response = out.body(body).send().await.unwrap();
    let mut reply = Response::builder().status(response.status());
    for (name, value) in response.headers() {
        if name != TRANSFER_ENCODING && name != CONNECTION {
            reply = reply.header(name, value);
        }
    }
    reply
        .body(Body::from_stream(response.bytes_stream()))
        .unwrap()
}
