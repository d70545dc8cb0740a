//! ACR's token flow against a loopback stand-in of its token endpoints
//! and metadata API, in front of a real `docker-registry`: Entra token →
//! `/oauth2/exchange` → refresh token → `/oauth2/token` → access token for
//! `/acr/v1/…`; pulls present the refresh token, which the registry's
//! bearer challenge turns into a pull token.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::time::{Duration as AzureDuration, OffsetDateTime};
use chrono::{DateTime, Utc};
use serde_json::json;
use tagwarden_testkit::{ImageBuilder, LocalRegistry};

use super::standin::{self, Log, Server, field};
use crate::provider::acr::{ACR_SCOPE, AcrProvider, AcrSettings, REFRESH_TOKEN_USER};
use crate::provider::clock::SystemClock;
use crate::provider::{PushedAtSource, RegistryProvider, snapshot};
use crate::{ClientConfig, Platform, RegistryClient};

const ENTRA: &str = "entra-token";
const REFRESH: &str = "acr-refresh-token";

/// An Entra ID credential that hands out one fixed token.
#[derive(Debug)]
struct FixedEntraToken;

#[async_trait::async_trait]
impl TokenCredential for FixedEntraToken {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        assert_eq!(scopes, [ACR_SCOPE]);
        let expires = OffsetDateTime::now_utc() + AzureDuration::hours(1);
        Ok(AccessToken::new(ENTRA, expires))
    }
}

#[derive(Debug)]
struct Acr {
    host: std::sync::OnceLock<String>,
    upstream: String,
    http: reqwest::Client,
    log: Log,
}

async fn acr(State(s): State<Arc<Acr>>, request: Request) -> Response {
    s.log.record(&request);
    let host = s.host.get().unwrap().clone();
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let query = standin::query(&request);
    let headers = request.headers().clone();
    let denied = || standin::reply(StatusCode::UNAUTHORIZED, &[], "denied".into());
    match (method, path.as_str()) {
        (Method::POST, "/oauth2/exchange") => {
            let form = standin::form(&standin::body(request).await);
            let ok = field(&form, "grant_type") == Some("access_token")
                && field(&form, "service") == Some(host.as_str())
                && field(&form, "access_token") == Some(ENTRA);
            if !ok {
                return denied();
            }
            standin::json(&json!({ "refresh_token": REFRESH }))
        }
        (Method::POST, "/oauth2/token") => {
            let form = standin::form(&standin::body(request).await);
            if field(&form, "refresh_token") != Some(REFRESH) {
                return denied();
            }
            let scope = field(&form, "scope").unwrap_or_default();
            standin::json(&json!({ "access_token": format!("access:{scope}") }))
        }
        (Method::GET, "/oauth2/token") => {
            if !standin::authorized(&headers, &standin::basic(REFRESH_TOKEN_USER, REFRESH)) {
                return denied();
            }
            standin::json(&json!({ "access_token": "pull-token" }))
        }
        (_, p) if p.starts_with("/acr/v1/") => metadata(&s, p, &query, &headers).await,
        (_, p) if p.starts_with("/v2/") => {
            if !standin::authorized(&headers, "Bearer pull-token") {
                return standin::challenge(&format!("http://{host}/oauth2/token"), &host);
            }
            standin::forward(&s.http, &s.upstream, request).await
        }
        _ => standin::reply(StatusCode::NOT_FOUND, &[], String::new()),
    }
}

/// `/acr/v1/_catalog` and `/acr/v1/{repo}/_tags`, paged by `n` and `last`.
async fn metadata(
    s: &Acr,
    path: &str,
    query: &[(String, String)],
    headers: &axum::http::HeaderMap,
) -> Response {
    let rest = path.strip_prefix("/acr/v1/").unwrap();
    let (scope, mut items) = if rest == "_catalog" {
        let url = format!("http://{}/v2/_catalog", s.upstream);
        let catalog: serde_json::Value =
            s.http.get(url).send().await.unwrap().json().await.unwrap();
        let names: Vec<String> = serde_json::from_value(catalog["repositories"].clone()).unwrap();
        let items: Vec<(String, serde_json::Value)> =
            names.into_iter().map(|n| (n.clone(), json!(n))).collect();
        ("registry:catalog:*".to_owned(), items)
    } else {
        let repository = rest.strip_suffix("/_tags").unwrap();
        let items: Vec<(String, serde_json::Value)> =
            standin::upstream_tags(&s.http, &s.upstream, repository)
                .await
                .into_iter()
                .map(|(tag, digest)| {
                    let entry = json!({
                        "name": tag, "digest": digest,
                        "createdTime": "2026-02-01T10:00:00Z",
                        "lastUpdateTime": "2026-02-03T10:00:00.1234567Z",
                    });
                    (tag, entry)
                })
                .collect();
        (format!("repository:{repository}:metadata_read"), items)
    };
    if !standin::authorized(headers, &format!("Bearer access:{scope}")) {
        return standin::reply(StatusCode::UNAUTHORIZED, &[], "wrong token".into());
    }
    items.sort_by(|a: &(String, serde_json::Value), b| a.0.cmp(&b.0));
    let n: usize = field(query, "n").map_or(100, |n| n.parse().unwrap());
    let start = field(query, "last").map_or(0, |l| {
        items
            .iter()
            .position(|(k, _)| k.as_str() > l)
            .unwrap_or(items.len())
    });
    let page: Vec<_> = items.iter().skip(start).take(n).collect();
    let values: Vec<&serde_json::Value> = page.iter().map(|(_, v)| v).collect();
    let body = if rest == "_catalog" {
        json!({ "repositories": values })
    } else {
        json!({ "tags": values })
    };
    let link = match page.last() {
        Some((last, _)) if start + n < items.len() => {
            format!(r#"<{path}?last={last}&n={n}>; rel="next""#)
        }
        _ => String::new(),
    };
    let mut reply_headers = vec![("content-type", "application/json")];
    if !link.is_empty() {
        reply_headers.push(("link", link.as_str()));
    }
    standin::reply(StatusCode::OK, &reply_headers, body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchanges_tokens_lists_tags_and_pulls() {
    super::install_crypto();
    let registry = LocalRegistry::start();
    let image = ImageBuilder::new().file("a.txt", "acr").build();
    for reference in ["team/app:v1", "team/app:v2", "team/api:v1"] {
        image.push(&registry, reference);
    }
    let state = Arc::new(Acr {
        host: std::sync::OnceLock::new(),
        upstream: registry.host().to_owned(),
        http: reqwest::Client::new(),
        log: Log::default(),
    });
    let server = Server::start(Router::new().fallback(acr).with_state(state.clone())).await;
    state.host.set(server.host.clone()).unwrap();
    let settings = AcrSettings {
        registry: server.host.parse().unwrap(),
        tenant_id: Some("tenant-1".into()),
        account: "subscription-1".into(),
        endpoint: None,
        page_size: 1,
    };
    let provider =
        AcrProvider::new(settings, Arc::new(FixedEntraToken), Arc::new(SystemClock)).unwrap();

    let listing = snapshot(&provider, 2).await.unwrap();

    let names: Vec<&str> = listing.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["team/api", "team/app"]);
    let tags: Vec<&str> = listing[1]
        .images
        .iter()
        .filter_map(|i| i.tag.as_deref())
        .collect();
    assert_eq!(tags, ["v1", "v2"], "two pages of one tag each");
    let pushed: DateTime<Utc> = "2026-02-03T10:00:00.1234567Z".parse().unwrap();
    assert_eq!(listing[1].images[0].pushed_at, Some(pushed));
    assert_eq!(
        listing[1].images[0].pushed_at_source,
        PushedAtSource::Registry
    );
    assert_eq!(listing[1].images[0].digest.to_string(), image.digest());
    assert_eq!(
        state.log.seen("/oauth2/exchange").len(),
        1,
        "the refresh token is kept"
    );
    assert_eq!(
        state.log.auth("/acr/v1/team/app/_tags"),
        vec![Some("Bearer access:repository:team/app:metadata_read".to_owned()); 2]
    );

    let client = RegistryClient::new(ClientConfig::default(), provider.pull_credentials()).unwrap();
    let reference = format!("{}/team/app:v2", server.host).parse().unwrap();
    let resolved = client
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();
    assert_eq!(resolved.digest.to_string(), image.digest());
    assert_eq!(provider.account(), "subscription-1");
}
