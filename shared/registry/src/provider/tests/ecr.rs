//! ECR against a loopback stand-in of its JSON API, for what `moto`
//! cannot show: `nextToken` pages of repositories and images, and the
//! renewal of the authorization token by an injected clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use super::standin::{self, Server};
use crate::Credentials;
use crate::provider::clock::{Clock, ManualClock};
use crate::provider::ecr::{EcrProvider, EcrSettings};
use crate::provider::{PushedAtSource, RegistryProvider, snapshot};

const ACCOUNT: &str = "111122223333";

#[derive(Debug)]
struct Ecr {
    clock: Arc<ManualClock>,
    tokens: AtomicUsize,
    /// `(operation, nextToken)` of every call.
    calls: Mutex<Vec<(String, Option<String>)>>,
}

fn page<T: Clone>(items: &[T], body: &Value) -> (Vec<T>, Option<String>) {
    let size = body["maxResults"].as_u64().unwrap_or(100) as usize;
    let start: usize = body["nextToken"].as_str().map_or(0, |t| t.parse().unwrap());
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    (items[start..end].to_vec(), next)
}

async fn ecr(State(s): State<Arc<Ecr>>, request: Request) -> Response {
    let target = request.headers()["x-amz-target"]
        .to_str()
        .unwrap()
        .to_owned();
    let operation = target.rsplit('.').next().unwrap().to_owned();
    let body: Value = serde_json::from_slice(&standin::body(request).await).unwrap();
    let token = body["nextToken"].as_str().map(str::to_owned);
    s.calls.lock().unwrap().push((operation.clone(), token));
    let reply = match operation.as_str() {
        "DescribeRepositories" => {
            let all: Vec<Value> = (0..5)
                .map(|i| json!({"repositoryName": format!("team/r{i}"), "registryId": ACCOUNT}))
                .collect();
            let (items, next) = page(&all, &body);
            json!({"repositories": items, "nextToken": next})
        }
        "DescribeImages" => {
            let all: Vec<Value> = (0..5)
                .map(|i| {
                    let mut image = json!({
                        "registryId": ACCOUNT,
                        "repositoryName": body["repositoryName"],
                        "imageDigest": format!("sha256:{i:064x}"),
                        "imagePushedAt": 1_800_000_000 + i,
                        "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
                    });
                    if i > 0 {
                        image["imageTags"] = json!([format!("v{i}")]);
                    }
                    image
                })
                .collect();
            let (items, next) = page(&all, &body);
            json!({"imageDetails": items, "nextToken": next})
        }
        "GetAuthorizationToken" => {
            let n = s.tokens.fetch_add(1, Ordering::SeqCst) + 1;
            let expires = s.clock.now() + TimeDelta::hours(12);
            json!({"authorizationData": [{
                "authorizationToken": STANDARD.encode(format!("AWS:password-{n}")),
                "expiresAt": expires.timestamp(),
                "proxyEndpoint": format!("https://{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"),
            }]})
        }
        other => panic!("unexpected ECR call {other}"),
    };
    let headers = [("content-type", "application/x-amz-json-1.1")];
    standin::reply(StatusCode::OK, &headers, reply.to_string())
}

pub(super) fn client(endpoint: &str) -> aws_sdk_ecr::Client {
    use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_ecr::Client::from_conf(config)
}

fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

async fn stand_in() -> (Server, Arc<Ecr>) {
    let state = Arc::new(Ecr {
        clock: Arc::new(ManualClock::new(start_time())),
        tokens: AtomicUsize::new(0),
        calls: Mutex::new(Vec::new()),
    });
    let router = Router::new().fallback(ecr).with_state(state.clone());
    (Server::start(router).await, state)
}

#[tokio::test]
async fn follows_next_tokens_of_repositories_and_images() {
    let (server, state) = stand_in().await;
    let settings = EcrSettings {
        region: "eu-west-1".into(),
        page_size: Some(2),
        ..EcrSettings::default()
    };
    let endpoint = format!("http://{}", server.host);
    let provider = EcrProvider::with_client(client(&endpoint), settings, state.clock.clone())
        .await
        .unwrap();

    let listing = snapshot(&provider, 1).await.unwrap();

    assert_eq!(
        provider.account(),
        ACCOUNT,
        "learned from the token's proxy endpoint"
    );
    assert_eq!(
        provider.registry().as_str(),
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    );
    let names: Vec<&str> = listing.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["team/r0", "team/r1", "team/r2", "team/r3", "team/r4"]
    );
    for repository in &listing {
        let tags: Vec<Option<&str>> = repository.images.iter().map(|i| i.tag.as_deref()).collect();
        assert_eq!(tags, [None, Some("v1"), Some("v2"), Some("v3"), Some("v4")]);
        assert!(
            repository
                .images
                .iter()
                .all(|i| i.pushed_at_source == PushedAtSource::Registry)
        );
    }
    let calls = state.calls.lock().unwrap().clone();
    let tokens = |op: &str| -> Vec<Option<String>> {
        calls
            .iter()
            .filter(|(o, _)| o == op)
            .map(|(_, t)| t.clone())
            .take(3)
            .collect()
    };
    let expected = [None, Some("2".to_owned()), Some("4".to_owned())];
    assert_eq!(tokens("DescribeRepositories"), expected);
    assert_eq!(tokens("DescribeImages"), expected);
}

#[tokio::test]
async fn renews_the_pull_password_before_it_expires() {
    let (server, state) = stand_in().await;
    let settings = EcrSettings {
        region: "eu-west-1".into(),
        ..EcrSettings::default()
    };
    let endpoint = format!("http://{}", server.host);
    let provider = EcrProvider::with_client(client(&endpoint), settings, state.clock.clone())
        .await
        .unwrap();
    let credentials = provider.pull_credentials();
    let host = provider.registry().clone();
    let password = || async {
        match credentials.credentials(&host).await.unwrap() {
            Credentials::Basic { username, password } => {
                assert_eq!(username, "AWS");
                password.expose_secret().to_owned()
            }
            Credentials::Anonymous => panic!("no credentials for ECR"),
        }
    };

    assert_eq!(
        password().await,
        "password-1",
        "the token fetched at start is kept"
    );
    state.clock.advance(TimeDelta::hours(10));
    assert_eq!(password().await, "password-1", "two hours left: kept");
    assert_eq!(state.tokens.load(Ordering::SeqCst), 1);
    state.clock.advance(TimeDelta::minutes(61));
    assert_eq!(password().await, "password-2", "59 minutes left: renewed");
    assert_eq!(password().await, "password-2");
    assert_eq!(state.tokens.load(Ordering::SeqCst), 2);

    let other = "ghcr.io".parse().unwrap();
    assert!(matches!(
        credentials.credentials(&other).await.unwrap(),
        Credentials::Anonymous
    ));
}
