//! A loopback stand-in in front of a real `LocalRegistry`, for behaviour
//! the real registry does not have: bearer-token auth, 429/5xx answers,
//! and tag lists served in pages. Everything else is forwarded unchanged,
//! so manifests and blobs are the real registry's.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONNECTION, TRANSFER_ENCODING};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::task::JoinHandle;
use url::Url;

/// The token the stand-in hands out and then requires.
pub(crate) const TOKEN: &str = "standin-token";

#[derive(Debug, Clone)]
pub(crate) enum Behaviour {
    /// Every `/v2/` request needs `Bearer TOKEN`, got from `/token` with
    /// these basic credentials; the challenge names realm, service, scope.
    /// Tokens say they last `expires_in` seconds.
    Bearer {
        user: String,
        password: String,
        expires_in: u64,
    },
    /// The first `times` requests whose path contains `path` get `status`
    /// (with `Retry-After` if given); later ones are forwarded.
    Fault {
        path: String,
        status: u16,
        retry_after: Option<String>,
        times: usize,
    },
    /// Tag lists are served sorted, `n` per page, with a `Link` to the
    /// next page; with `fail_later_pages`, every page after the first is a
    /// 503.
    PaginatedTags { fail_later_pages: bool },
    /// Forwards everything but drops `Docker-Content-Digest`, as some
    /// registries and proxies do.
    HideDigest,
}

/// A request the stand-in saw.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: Method,
    /// Path and query, e.g. `/v2/a/tags/list?n=50`.
    pub(crate) target: String,
    pub(crate) authorization: Option<String>,
}

#[derive(Debug)]
struct Shared {
    host: String,
    upstream: String,
    behaviour: Behaviour,
    seen: Mutex<Vec<Seen>>,
    http: reqwest::Client,
}

#[derive(Debug)]
pub(crate) struct StandIn {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl StandIn {
    pub(crate) async fn start(upstream: &str, behaviour: Behaviour) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let shared = Arc::new(Shared {
            host,
            upstream: upstream.to_owned(),
            behaviour,
            seen: Mutex::new(Vec::new()),
            http: reqwest::Client::new(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { shared, task }
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn host(&self) -> &str {
        &self.shared.host
    }

    /// Requests seen so far whose target contains `part`.
    pub(crate) fn seen(&self, part: &str) -> Vec<Seen> {
        let seen = self.shared.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.target.contains(part))
            .cloned()
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(s): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = request.headers().clone();
    let authorization = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let earlier = {
        let mut seen = s.seen.lock().unwrap();
        seen.push(Seen {
            method: method.clone(),
            target: target.clone(),
            authorization: authorization.clone(),
        });
        seen.len()
    };
    let body = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap();
    match &s.behaviour {
        Behaviour::Bearer {
            user,
            password,
            expires_in,
        } => {
            if target.starts_with("/token") {
                let expected = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
                return if authorization.as_deref() == Some(expected.as_str()) {
                    let token = format!(r#"{{"token":"{TOKEN}","expires_in":{expires_in}}}"#);
                    reply(
                        StatusCode::OK,
                        &[("content-type", "application/json")],
                        token,
                    )
                } else {
                    reply(StatusCode::UNAUTHORIZED, &[], "bad credentials".to_owned())
                };
            }
            if authorization.as_deref() != Some(format!("Bearer {TOKEN}").as_str()) {
                let challenge = challenge(&s.host, &target);
                return reply(
                    StatusCode::UNAUTHORIZED,
                    &[("www-authenticate", &challenge)],
                    String::new(),
                );
            }
        }
        Behaviour::Fault {
            path,
            status,
            retry_after,
            times,
        } if target.contains(path.as_str()) => {
            let matching = s.seen.lock().unwrap()[..earlier]
                .iter()
                .filter(|r| r.target.contains(path.as_str()))
                .count();
            if matching <= *times {
                let status = StatusCode::from_u16(*status).unwrap();
                let headers: Vec<(&str, &str)> = retry_after
                    .iter()
                    .map(|v| ("retry-after", v.as_str()))
                    .collect();
                return reply(
                    status,
                    &headers,
                    r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#.to_owned(),
                );
            }
        }
        Behaviour::PaginatedTags { fail_later_pages } if target.contains("/tags/list") => {
            return paginated_tags(&s, &target, *fail_later_pages).await;
        }
        Behaviour::HideDigest => {
            let mut response = forward(&s, method, &target, &headers, body).await;
            response.headers_mut().remove("docker-content-digest");
            return response;
        }
        _ => {}
    }
    forward(&s, method, &target, &headers, body).await
}

/// The challenge a registry sends, with the scope the request needs.
fn challenge(host: &str, target: &str) -> String {
    let path = target.split('?').next().unwrap_or_default();
    let scope = if path == "/v2/_catalog" {
        Some("registry:catalog:*".to_owned())
    } else {
        ["/manifests/", "/blobs/", "/tags/"].iter().find_map(|m| {
            let name = path
                .strip_prefix("/v2/")?
                .split(m)
                .next()
                .filter(|n| *n != path)?;
            path.contains(m).then(|| format!("repository:{name}:pull"))
        })
    };
    let mut text = format!(r#"Bearer realm="http://{host}/token",service="standin""#);
    if let Some(scope) = scope {
        text.push_str(&format!(r#",scope="{scope}""#));
    }
    text
}

async fn paginated_tags(s: &Shared, target: &str, fail_later_pages: bool) -> Response {
    let url = Url::parse(&format!("http://{}{target}", s.host)).unwrap();
    let query = |k: &str| {
        url.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    let last = query("last");
    if fail_later_pages && last.is_some() {
        return reply(StatusCode::SERVICE_UNAVAILABLE, &[], "down".to_owned());
    }
    let n: usize = query("n").and_then(|n| n.parse().ok()).unwrap_or(100);
    let upstream = format!("http://{}{}", s.upstream, url.path());
    let full: serde_json::Value = s
        .http
        .get(upstream)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut tags: Vec<String> = serde_json::from_value(full["tags"].clone()).unwrap();
    tags.sort();
    let start = last.map_or(0, |l| {
        tags.iter().position(|t| *t > l).unwrap_or(tags.len())
    });
    let page: Vec<&String> = tags.iter().skip(start).take(n).collect();
    let body = serde_json::json!({ "name": full["name"], "tags": page }).to_string();
    let more = start + n < tags.len();
    let link = page
        .last()
        .filter(|_| more)
        .map(|l| format!(r#"<{}?n={n}&last={l}>; rel="next""#, url.path()));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(link) = &link {
        headers.push(("link", link.as_str()));
    }
    reply(StatusCode::OK, &headers, body)
}

async fn forward(
    s: &Shared,
    method: Method,
    target: &str,
    headers: &HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let mut request = s
        .http
        .request(method, format!("http://{}{target}", s.upstream));
    for (name, value) in headers {
        if name != AUTHORIZATION && name != "host" {
            request = request.header(name, value);
        }
    }
    let response = request.body(body).send().await.unwrap();
    let mut out = Response::builder().status(response.status());
    for (name, value) in response.headers() {
        if name != TRANSFER_ENCODING && name != CONNECTION {
            out = out.header(name, value);
        }
    }
    out.body(Body::from_stream(response.bytes_stream()))
        .unwrap()
}

fn reply(status: StatusCode, headers: &[(&str, &str)], body: String) -> Response {
    let mut out = Response::builder().status(status);
    for (name, value) in headers {
        out = out.header(*name, *value);
    }
    out.body(Body::from(body)).unwrap()
}

#[test]
fn challenges_name_the_scope_a_request_needs() {
    let c = challenge("h", "/v2/team/app/manifests/v1");
    assert!(c.ends_with(r#"scope="repository:team/app:pull""#), "{c}");
    assert!(challenge("h", "/v2/_catalog?n=2").ends_with(r#"scope="registry:catalog:*""#));
    assert!(!challenge("h", "/v2/").contains("scope"));
}
