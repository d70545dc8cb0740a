//! Loopback stand-ins for the cloud APIs and token endpoints, placed in
//! front of a real `LocalRegistry` where they need one. Each stand-in is an
//! axum handler over a shared state; this module holds what they share:
//! starting a server, forwarding to the real registry, replies, and a log
//! of the requests seen.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONNECTION, TRANSFER_ENCODING};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::task::JoinHandle;

/// A running stand-in; stops on drop.
#[derive(Debug)]
pub(super) struct Server {
    pub(super) host: String,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `router` on a free loopback port.
    pub(super) async fn start(router: Router) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { host, task }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a stand-in saw: method, path and query, and the auth header.
#[derive(Debug, Clone, Default)]
pub(super) struct Log(Arc<Mutex<Vec<Seen>>>);

/// Method, path with query, and Authorization header of one request.
type Seen = (String, String, Option<String>);

impl Log {
    pub(super) fn record(&self, request: &Request) {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let auth = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let method = request.method().to_string();
        self.0.lock().unwrap().push((method, target, auth));
    }

    /// `METHOD target` of every request whose target contains `part`.
    pub(super) fn seen(&self, part: &str) -> Vec<String> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|(_, t, _)| t.contains(part))
            .map(|(m, t, _)| format!("{m} {t}"))
            .collect()
    }

    /// The auth headers sent with requests whose target contains `part`.
    pub(super) fn auth(&self, part: &str) -> Vec<Option<String>> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|(_, t, _)| t.contains(part))
            .map(|(_, _, a)| a.clone())
            .collect()
    }
}

/// Sends a request on to the real registry at `upstream` and streams the
/// answer back. Authorization is dropped: the real registry is open.
pub(super) async fn forward(http: &reqwest::Client, upstream: &str, request: Request) -> Response {
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap();
    let mut out = http.request(method, format!("http://{upstream}{target}"));
    for (name, value) in &headers {
        if name != AUTHORIZATION && name != "host" {
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

/// A reply with a body and headers.
pub(super) fn reply(status: StatusCode, headers: &[(&str, &str)], body: String) -> Response {
    let mut out = Response::builder().status(status);
    for (name, value) in headers {
        out = out.header(*name, *value);
    }
    out.body(Body::from(body)).unwrap()
}

/// A JSON reply.
pub(super) fn json(value: &serde_json::Value) -> Response {
    reply(
        StatusCode::OK,
        &[("content-type", "application/json")],
        value.to_string(),
    )
}

/// A 401 with a bearer challenge pointing at `realm`.
pub(super) fn challenge(realm: &str, service: &str) -> Response {
    let value = format!(r#"Bearer realm="{realm}",service="{service}""#);
    reply(
        StatusCode::UNAUTHORIZED,
        &[("www-authenticate", value.as_str())],
        String::new(),
    )
}

/// The body of a request, read whole.
pub(super) async fn body(request: Request) -> Vec<u8> {
    axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

/// The fields of a form body.
pub(super) fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The value of query or form field `name`.
pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The query fields of a request.
pub(super) fn query(request: &Request) -> Vec<(String, String)> {
    request
        .uri()
        .query()
        .map(|q| form(q.as_bytes()))
        .unwrap_or_default()
}

/// `Basic base64(user:password)`.
pub(super) fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// Whether the request carries exactly `expected` as its Authorization.
pub(super) fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(expected)
}

/// Tags and their digests in the real registry, sorted by tag.
pub(super) async fn upstream_tags(
    http: &reqwest::Client,
    upstream: &str,
    repository: &str,
) -> Vec<(String, String)> {
    let url = format!("http://{upstream}/v2/{repository}/tags/list");
    let listing: serde_json::Value = http.get(url).send().await.unwrap().json().await.unwrap();
    let mut tags: Vec<String> = serde_json::from_value(listing["tags"].clone()).unwrap_or_default();
    tags.sort();
    let mut out = Vec::new();
    for tag in tags {
        let head = http
            .request(
                Method::HEAD,
                format!("http://{upstream}/v2/{repository}/manifests/{tag}"),
            )
            .header("accept", "application/vnd.oci.image.manifest.v1+json")
            .send()
            .await
            .unwrap();
        let digest = head.headers()["docker-content-digest"]
            .to_str()
            .unwrap()
            .to_owned();
        out.push((tag, digest));
    }
    out
}
