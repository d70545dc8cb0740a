//! Artifact Registry's token flow against loopback stand-ins, in front of
//! a real `docker-registry`: `gcp_auth` signs a service account assertion
//! and trades it at the key's `token_uri` for an access token; the REST
//! API lists Docker repositories and images with it; pulls send it as the
//! password of `oauth2accesstoken` to the registry's token endpoint.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tagwarden_testkit::{ImageBuilder, LocalRegistry};

use super::standin::{self, Log, Server, field};
use crate::provider::gar::{ACCESS_TOKEN_USER, GarProvider, GarSettings};
use crate::provider::{PushedAtSource, RegistryProvider, snapshot};
use crate::{ClientConfig, Platform, RegistryClient};

const EMAIL: &str = "scanner@proj.iam.gserviceaccount.com";
const ACCESS: &str = "gcp-access-token";
const REPOSITORIES: &str = "/v1/projects/proj/locations/europe/repositories";

#[derive(Debug)]
struct Gar {
    host: OnceLock<String>,
    upstream: String,
    http: reqwest::Client,
    log: Log,
}

async fn gar(State(s): State<Arc<Gar>>, request: Request) -> Response {
    s.log.record(&request);
    let host = s.host.get().unwrap().clone();
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let query = standin::query(&request);
    let headers = request.headers().clone();
    let denied = || standin::reply(StatusCode::UNAUTHORIZED, &[], "denied".into());
    let bearer = standin::authorized(&headers, &format!("Bearer {ACCESS}"));
    match (method, path.as_str()) {
        (Method::POST, "/token") => {
            let form = standin::form(&standin::body(request).await);
            let claims = field(&form, "assertion").and_then(claims);
            let ok = claims.is_some_and(|c| {
                c["iss"] == EMAIL
                    && c["scope"]
                        .as_str()
                        .is_some_and(|s| s.contains("cloud-platform"))
            });
            if !ok {
                return denied();
            }
            standin::json(
                &json!({"access_token": ACCESS, "expires_in": 3600, "token_type": "Bearer"}),
            )
        }
        (Method::GET, REPOSITORIES) if bearer => standin::json(&json!({"repositories": [
            {"name": "projects/proj/locations/europe/repositories/docker-repo", "format": "DOCKER"},
            {"name": "projects/proj/locations/europe/repositories/jars", "format": "MAVEN"},
        ]})),
        (Method::GET, p) if p.ends_with("/docker-repo/dockerImages") && bearer => {
            images(&s, &host, &query).await
        }
        (Method::GET, "/v2/token") => {
            if !standin::authorized(&headers, &standin::basic(ACCESS_TOKEN_USER, ACCESS)) {
                return denied();
            }
            standin::json(&json!({"token": "gar-pull-token", "expires_in": 300}))
        }
        (_, p) if p.starts_with("/v2/") => {
            if !standin::authorized(&headers, "Bearer gar-pull-token") {
                return standin::challenge(&format!("http://{host}/v2/token"), &host);
            }
            standin::forward(&s.http, &s.upstream, request).await
        }
        _ => denied(),
    }
}

/// The payload of a JWT.
fn claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?.trim_end_matches('=');
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// `dockerImages` of `proj/docker-repo/…` in the real registry, one entry
/// per digest, paged by `pageSize` and `pageToken`.
async fn images(s: &Gar, host: &str, query: &[(String, String)]) -> Response {
    let url = format!("http://{}/v2/_catalog", s.upstream);
    let catalog: Value = s.http.get(url).send().await.unwrap().json().await.unwrap();
    let names: Vec<String> = serde_json::from_value(catalog["repositories"].clone()).unwrap();
    let mut entries = Vec::new();
    for name in names.iter().filter(|n| n.starts_with("proj/docker-repo/")) {
        let mut by_digest: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (tag, digest) in standin::upstream_tags(&s.http, &s.upstream, name).await {
            by_digest.entry(digest).or_default().push(tag);
        }
        for (digest, tags) in by_digest {
            entries.push(json!({
                "uri": format!("{host}/{name}@{digest}"),
                "tags": tags,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "uploadTime": "2026-02-05T08:00:00Z",
            }));
        }
    }
    let size: usize = field(query, "pageSize").map_or(100, |n| n.parse().unwrap());
    let start: usize = field(query, "pageToken").map_or(0, |t| t.parse().unwrap());
    let end = (start + size).min(entries.len());
    let mut page = json!({"dockerImages": entries[start..end]});
    if end < entries.len() {
        page["nextPageToken"] = json!(end.to_string());
    }
    standin::json(&page)
}

/// A service account key whose `token_uri` is the stand-in.
fn service_account(token_uri: &str) -> gcp_auth::CustomServiceAccount {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let key = json!({
        "type": "service_account",
        "project_id": "proj",
        "private_key_id": "k1",
        "private_key": std::fs::read_to_string(&path).unwrap(),
        "client_email": EMAIL,
        "client_id": "1",
        "token_uri": token_uri,
    });
    gcp_auth::CustomServiceAccount::from_json(&key.to_string()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_docker_images_with_a_service_account_token_and_pulls() {
    super::install_crypto();
    let registry = LocalRegistry::start();
    let app = ImageBuilder::new().file("a.txt", "gar app").build();
    let cli = ImageBuilder::new().file("b.txt", "gar cli").build();
    app.push(&registry, "proj/docker-repo/app:v1");
    app.push(&registry, "proj/docker-repo/app:latest");
    cli.push(&registry, "proj/docker-repo/tools/cli:1.0");
    let state = Arc::new(Gar {
        host: OnceLock::new(),
        upstream: registry.host().to_owned(),
        http: reqwest::Client::new(),
        log: Log::default(),
    });
    let server = Server::start(Router::new().fallback(gar).with_state(state.clone())).await;
    state.host.set(server.host.clone()).unwrap();
    let base = format!("http://{}/", server.host);
    let settings = GarSettings {
        project: "proj".into(),
        location: "europe".into(),
        endpoint: Some(base.parse().unwrap()),
        registry_host: Some(server.host.parse().unwrap()),
        page_size: 1,
    };
    let tokens = Arc::new(service_account(&format!("{base}token")));
    let provider = GarProvider::new(settings, tokens).unwrap();

    let listing = snapshot(&provider, 2).await.unwrap();

    let names: Vec<&str> = listing.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["proj/docker-repo/app", "proj/docker-repo/tools/cli"]
    );
    let mut tags: Vec<&str> = listing[0]
        .images
        .iter()
        .filter_map(|i| i.tag.as_deref())
        .collect();
    tags.sort_unstable();
    assert_eq!(tags, ["latest", "v1"]);
    let image = &listing[0].images[0];
    assert_eq!(image.digest.to_string(), app.digest());
    assert_eq!(image.pushed_at_source, PushedAtSource::Registry);
    assert_eq!(
        image.pushed_at.unwrap().to_rfc3339(),
        "2026-02-05T08:00:00+00:00"
    );
    assert_eq!(
        state.log.seen("/dockerImages").len(),
        2,
        "two pages of one image"
    );
    assert_eq!(
        state.log.seen("/token").len(),
        1,
        "gcp_auth keeps its token"
    );

    let client = RegistryClient::new(ClientConfig::default(), provider.pull_credentials()).unwrap();
    let reference = format!("{}/proj/docker-repo/tools/cli:1.0", server.host)
        .parse()
        .unwrap();
    let resolved = client
        .resolve(&reference, &Platform::default())
        .await
        .unwrap();
    assert_eq!(resolved.digest.to_string(), cli.digest());
    assert_eq!(provider.account(), "proj");
}
