//! The generic OCI provider against a real `docker-registry`: several
//! repositories, one with 161 tags served in pages of 50 (Debian's
//! distribution 2.8 ignores `n` on tag lists, so a stand-in pages them),
//! the catalog paged by the real registry, and a repository holding only
//! an untagged manifest.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use tagwarden_testkit::{ImageBuilder, LocalRegistry, OciImage};

use super::standin::{self, Log, Server};
use crate::StaticCredentials;
use crate::provider::oci::{OciProvider, OciSettings};
use crate::provider::{PushedAtSource, RegistryProvider, snapshot};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

#[derive(Debug)]
struct Paging {
    upstream: String,
    http: reqwest::Client,
    log: Log,
}

async fn paging(State(s): State<Arc<Paging>>, request: Request) -> Response {
    s.log.record(&request);
    let path = request.uri().path().to_owned();
    let Some(repository) = path
        .strip_prefix("/v2/")
        .and_then(|p| p.strip_suffix("/tags/list"))
    else {
        return standin::forward(&s.http, &s.upstream, request).await;
    };
    let query = standin::query(&request);
    let n: usize = standin::field(&query, "n").map_or(100, |n| n.parse().unwrap());
    let last = standin::field(&query, "last").map(str::to_owned);
    let url = format!("http://{}/v2/{repository}/tags/list", s.upstream);
    let upstream = s.http.get(url).send().await.unwrap();
    if upstream.status() != StatusCode::OK {
        return standin::reply(upstream.status(), &[], upstream.text().await.unwrap());
    }
    let full: serde_json::Value = upstream.json().await.unwrap();
    let mut tags: Vec<String> = serde_json::from_value(full["tags"].clone()).unwrap();
    tags.sort();
    let start = last.map_or(0, |l| {
        tags.iter().position(|t| *t > l).unwrap_or(tags.len())
    });
    let page: Vec<&String> = tags.iter().skip(start).take(n).collect();
    let body = serde_json::json!({ "name": repository, "tags": page }).to_string();
    let link = match page.last() {
        Some(l) if start + n < tags.len() => {
            format!(r#"</v2/{repository}/tags/list?n={n}&last={l}>; rel="next""#)
        }
        _ => String::new(),
    };
    let mut headers = vec![("content-type", "application/json")];
    if !link.is_empty() {
        headers.push(("link", link.as_str()));
    }
    standin::reply(StatusCode::OK, &headers, body)
}

/// Stores `image`'s blobs and manifest in `repo` by digest only.
fn push_untagged(registry: &LocalRegistry, repo: &str, image: &OciImage) -> String {
    let manifest = image.blob(&image.digest());
    let parsed: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let config = parsed["config"]["digest"].as_str().unwrap();
    registry.put_blob(repo, &image.blob(config));
    for layer in parsed["layers"].as_array().unwrap() {
        registry.put_blob(repo, &image.blob(layer["digest"].as_str().unwrap()));
    }
    registry.put_manifest(repo, &image.digest(), OCI_MANIFEST, &manifest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_repositories_paged_tags_and_an_untagged_repository() {
    super::install_crypto();
    let registry = LocalRegistry::start();
    let app = ImageBuilder::new().file("app.txt", "app").build();
    app.push(&registry, "team/app:v1");
    app.push(&registry, "team/app:latest");
    let big = ImageBuilder::new().file("big.txt", "big").build();
    big.push(&registry, "team/big:base");
    let manifest = big.blob(&big.digest());
    for i in 0..160 {
        registry.put_manifest("team/big", &format!("v{i:03}"), OCI_MANIFEST, &manifest);
    }
    let lone = ImageBuilder::new().file("lone.txt", "no tag").build();
    push_untagged(&registry, "team/untagged", &lone);

    let log = Log::default();
    let state = Arc::new(Paging {
        upstream: registry.host().to_owned(),
        http: reqwest::Client::new(),
        log: log.clone(),
    });
    let proxy = Server::start(Router::new().fallback(paging).with_state(state)).await;
    let mut settings = OciSettings::new(proxy.host.parse().unwrap());
    settings.client.page_size = 50;
    settings.client.retry = super::quick_retries();
    let provider = OciProvider::new(settings, Arc::new(StaticCredentials::anonymous())).unwrap();

    let listing = snapshot(&provider, 4).await.unwrap();

    let names: Vec<&str> = listing.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["team/app", "team/big", "team/untagged"]);
    let big_tags = &listing[1].images;
    assert_eq!(big_tags.len(), 161);
    assert!(
        big_tags
            .iter()
            .all(|t| t.digest.to_string() == big.digest())
    );
    assert_eq!(
        log.seen("/team/big/tags/list"),
        [
            "GET /v2/team/big/tags/list?n=50",
            "GET /v2/team/big/tags/list?n=50&last=v048",
            "GET /v2/team/big/tags/list?n=50&last=v098",
            "GET /v2/team/big/tags/list?n=50&last=v148",
        ]
    );
    let v1 = listing[0]
        .images
        .iter()
        .find(|t| t.tag.as_deref() == Some("v1"))
        .unwrap();
    assert_eq!(v1.digest.to_string(), app.digest());
    assert_eq!(v1.media_type, OCI_MANIFEST);
    assert_eq!(v1.pushed_at_source, PushedAtSource::ImageConfig);
    assert!(v1.pushed_at.is_some(), "umoci writes a created time");
    assert!(
        listing[2].images.is_empty(),
        "an untagged manifest has no tag to list"
    );
    // New tags are read with one GET each, and a shared config once.
    let count = |prefix: &str| {
        let seen = log.seen("/team/big/");
        seen.iter().filter(|s| s.starts_with(prefix)).count()
    };
    assert_eq!(
        (count("GET /v2/team/big/manifests/"), count("HEAD ")),
        (161, 0)
    );
    assert_eq!(count("GET /v2/team/big/blobs/"), 1);

    // An unchanged registry: one HEAD per tag and nothing else.
    assert_eq!(snapshot(&provider, 4).await.unwrap(), listing);
    assert_eq!(
        (count("GET /v2/team/big/manifests/"), count("HEAD ")),
        (161, 161)
    );
    assert_eq!(count("GET /v2/team/big/blobs/"), 1);
    assert_eq!(provider.account(), "");
}

#[tokio::test]
async fn a_configured_repository_list_replaces_the_catalog() {
    super::install_crypto();
    let registry = LocalRegistry::start();
    let image = ImageBuilder::new().file("a.txt", "a").build();
    image.push(&registry, "one/app:v1");
    image.push(&registry, "two/app:v1");
    let mut settings = OciSettings::new(registry.host().parse().unwrap());
    settings.repositories = Some(vec!["two/app".into(), "missing/app".into()]);
    let provider = OciProvider::new(settings, Arc::new(StaticCredentials::anonymous())).unwrap();

    let listing = snapshot(&provider, 2).await.unwrap();

    let names: Vec<&str> = listing.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["two/app"],
        "a listed repository that does not exist is left out"
    );
}
