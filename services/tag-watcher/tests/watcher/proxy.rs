//! A counting loopback proxy in front of a real registry: every request is
//! counted by method and path before it is forwarded, and the proxy can be
//! told to answer 503 instead, as a registry in an outage does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use tokio_util::sync::CancellationToken;

/// The proxy, serving until dropped.
pub(crate) struct CountingProxy {
    host: String,
    state: Arc<Proxied>,
    shutdown: CancellationToken,
}

struct Proxied {
    upstream: String,
    client: reqwest::Client,
    counts: Mutex<HashMap<(String, String), usize>>,
    failing: AtomicBool,
}

impl CountingProxy {
    /// Starts a proxy on a free loopback port forwarding to `upstream`
    /// (`127.0.0.1:PORT`).
    pub(crate) async fn start(upstream: &str) -> Self {
        let state = Arc::new(Proxied {
            upstream: upstream.to_owned(),
            client: reqwest::Client::new(),
            counts: Mutex::default(),
            failing: AtomicBool::new(false),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let shutdown = CancellationToken::new();
        let app = Router::new().fallback(forward).with_state(state.clone());
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        Self {
            host,
            state,
            shutdown,
        }
    }

    /// `127.0.0.1:PORT`: what targets name as their registry.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// Requests seen with `method` on `path` since the last reset.
    pub(crate) fn count(&self, method: &str, path: &str) -> usize {
        let counts = self.state.counts.lock().unwrap();
        counts
            .get(&(method.to_owned(), path.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Requests seen with `method` whose path starts with `prefix`.
    pub(crate) fn count_prefix(&self, method: &str, prefix: &str) -> usize {
        let counts = self.state.counts.lock().unwrap();
        counts
            .iter()
            .filter(|((m, p), _)| m == method && p.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Forgets the counts.
    pub(crate) fn reset(&self) {
        self.state.counts.lock().unwrap().clear();
    }

    /// Makes every request fail with 503 (`true`) or pass (`false`).
    pub(crate) fn set_failing(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn forward(State(state): State<Arc<Proxied>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    *state
        .counts
        .lock()
        .unwrap()
        .entry((parts.method.to_string(), path))
        .or_default() += 1;
    if state.failing.load(Ordering::SeqCst) {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    }
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("http://{}{target}", state.upstream);
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut upstream = state.client.request(parts.method, url).body(body);
    for (name, value) in &parts.headers {
        if name != "host" {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(answer) = upstream.send().await else {
        return status(StatusCode::BAD_GATEWAY);
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        let hop_by_hop: [HeaderName; 2] = [
            HeaderName::from_static("transfer-encoding"),
            HeaderName::from_static("connection"),
        ];
        if !hop_by_hop.contains(name) {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response.body(Body::from(bytes)).unwrap()
}

fn status(code: StatusCode) -> Response {
    Response::builder()
        .status(code)
        .body(Body::empty())
        .unwrap()
}
