//! The HTTP side of notifications: `POST /notifications/{source}`, checked
//! against the source's secret, parsed by its format, and turned into
//! repository refreshes. Answers at once (202) and refreshes in the
//! background, so a slow registry never makes a sender time out and resend.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::{NotificationFormat, NotificationSource, Pushed};
use crate::repository::{RefreshSoon, RepositoryKey};

/// A configured source with its parser.
#[derive(Debug)]
struct Source {
    config: NotificationSource,
    parser: Box<dyn NotificationFormat>,
}

struct Endpoint {
    sources: HashMap<String, Source>,
    refresh: Arc<dyn RefreshSoon>,
}

/// Binds the endpoint's port; serving starts with [`serve`].
pub(crate) async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("failed to bind the notification endpoint on {addr}"))
}

/// Serves notifications from `sources` until `shutdown`.
pub(crate) async fn serve(
    listener: TcpListener,
    sources: Vec<NotificationSource>,
    refresh: Arc<dyn RefreshSoon>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let addr = listener.local_addr().ok();
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    info!(addr = ?addr, sources = ?names, "notification endpoint listening");
    axum::serve(listener, router(&sources, refresh))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("the notification endpoint failed")
}

fn router(sources: &[NotificationSource], refresh: Arc<dyn RefreshSoon>) -> Router {
    let sources = sources
        .iter()
        .map(|config| {
            let parser = config.format.parser();
            let source = Source {
                config: config.clone(),
                parser,
            };
            (config.name.clone(), source)
        })
        .collect();
    let endpoint = Arc::new(Endpoint { sources, refresh });
    Router::new()
        .route("/notifications/{source}", post(receive))
        .with_state(endpoint)
}

async fn receive(
    State(endpoint): State<Arc<Endpoint>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(source) = endpoint.sources.get(&name) else {
        debug!(source = %name, "notification for an unknown source");
        return StatusCode::NOT_FOUND;
    };
    if !authorised(&source.config, &headers, query.as_deref()) {
        warn!(source = %name, "notification refused: wrong or missing secret");
        return StatusCode::UNAUTHORIZED;
    }
    let pushed = match source.parser.parse(&body) {
        Ok(pushed) => pushed,
        Err(err) => {
            warn!(source = %name, format = source.parser.name(), error = %err, "notification unreadable");
            return StatusCode::BAD_REQUEST;
        }
    };
    for (repository, pushed) in repositories(&source.config, &pushed) {
        info!(source = %name, %repository, tag = pushed.tag.as_deref(), "push notified; refreshing");
        match (pushed.tag.as_deref(), pushed.digest.as_deref()) {
            (Some(tag), Some(digest)) => {
                endpoint.refresh.refresh_after_push(repository, tag, digest)
            }
            _ => endpoint.refresh.refresh_soon(repository),
        }
    }
    StatusCode::ACCEPTED
}

/// Whether the request carries the source's secret, in its header or as the
/// `token` query parameter. Compared in constant time.
fn authorised(source: &NotificationSource, headers: &HeaderMap, query: Option<&str>) -> bool {
    let expected = source.secret.expose_secret().as_bytes();
    let from_header = headers
        .get(source.header.as_str())
        .map(|value| value.as_bytes().to_vec());
    let from_query = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value.into_owned().into_bytes())
    });
    [from_header, from_query]
        .into_iter()
        .flatten()
        .any(|given| bool::from(given.as_slice().ct_eq(expected)))
}

/// The repositories a notification names, under the source's registry
/// name when it has one, each with what was pushed there.
fn repositories<'a>(
    source: &NotificationSource,
    pushed: &'a [Pushed],
) -> Vec<(RepositoryKey, &'a Pushed)> {
    pushed
        .iter()
        .filter_map(|p| {
            let registry = source.registry.as_deref().or(p.registry.as_deref())?;
            Some((RepositoryKey::new(registry, &p.repository), p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::notify::Format;

    /// The refreshes asked for: repository, and `tag@digest` for a push.
    type Asked = Vec<(RepositoryKey, Option<String>)>;

    #[derive(Default)]
    struct Recorded(Mutex<Asked>);

    impl RefreshSoon for Recorded {
        fn refresh_soon(&self, repository: RepositoryKey) {
            self.0.lock().unwrap().push((repository, None));
        }

        fn refresh_after_push(&self, repository: RepositoryKey, tag: &str, digest: &str) {
            let pushed = format!("{tag}@{digest}");
            self.0.lock().unwrap().push((repository, Some(pushed)));
        }
    }

    fn source(registry: Option<&str>) -> NotificationSource {
        NotificationSource {
            name: "local".into(),
            format: Format::Distribution,
            registry: registry.map(str::to_owned),
            header: "Authorization".into(),
            secret: "Bearer s3cret".to_owned().into(),
        }
    }

    const PUSH: &str = r#"{"events":[
        {"action":"push","target":{"repository":"team/app","tag":"v1","digest":"sha256:a1"},
         "request":{"host":"127.0.0.1:5000"}},
        {"action":"delete","target":{"repository":"team/app","digest":"sha256:b2"},
         "request":{"host":"127.0.0.1:5000"}}]}"#;

    /// Serves the endpoint on a free loopback port and posts `body` to it.
    async fn post(uri: &str, secret: Option<&str>, body: &str) -> (StatusCode, Asked) {
        let recorded = Arc::new(Recorded::default());
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let sources = vec![source(None)];
        let server = tokio::spawn(serve(listener, sources, recorded.clone(), shutdown.clone()));
        let mut request = reqwest::Client::new()
            .post(format!("http://{addr}{uri}"))
            .body(body.to_owned());
        if let Some(secret) = secret {
            request = request.header("Authorization", secret);
        }
        let status = request.send().await.unwrap().status().as_u16();
        shutdown.cancel();
        server.await.unwrap().unwrap();
        let seen = recorded.0.lock().unwrap().clone();
        (StatusCode::from_u16(status).unwrap(), seen)
    }

    #[tokio::test]
    async fn pushes_and_deletes_with_the_secret_refresh_their_repository() {
        let (status, seen) = post("/notifications/local", Some("Bearer s3cret"), PUSH).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let key = RepositoryKey::new("127.0.0.1:5000", "team/app");
        let expected = [(key.clone(), Some("v1@sha256:a1".into())), (key, None)];
        assert_eq!(seen, expected);
    }

    #[tokio::test]
    async fn wrong_or_missing_secrets_are_refused() {
        for secret in [None, Some("Bearer s3cre"), Some("Bearer s3cret2")] {
            let (status, seen) = post("/notifications/local", secret, PUSH).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{secret:?}");
            assert!(seen.is_empty());
        }
    }

    #[tokio::test]
    async fn the_secret_may_come_as_a_token_and_sources_must_exist() {
        let by_token = "/notifications/local?token=Bearer%20s3cret";
        assert_eq!(post(by_token, None, PUSH).await.0, StatusCode::ACCEPTED);
        let unknown = post("/notifications/other", Some("Bearer s3cret"), PUSH).await;
        assert_eq!(unknown.0, StatusCode::NOT_FOUND);
        let garbage = post("/notifications/local", Some("Bearer s3cret"), "{").await;
        assert_eq!(garbage.0, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn the_configured_registry_name_wins() {
        let pushed = [Pushed {
            registry: Some("lb.internal:443".into()),
            repository: "team/app".into(),
            tag: None,
            digest: None,
        }];
        let keys = repositories(&source(Some("registry.example.com")), &pushed);
        let expected = RepositoryKey::new("registry.example.com", "team/app");
        assert_eq!(keys, [(expected, &pushed[0])]);
        let unnamed = [Pushed {
            registry: None,
            ..pushed[0].clone()
        }];
        assert!(repositories(&source(None), &unnamed).is_empty());
    }
}
