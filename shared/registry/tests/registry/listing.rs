//! Tag and catalog listing: many tags, `Link` pagination, and no partial
//! lists when a later page fails.

use std::collections::BTreeSet;

use tagwarden_registry::{ClientConfig, ListError, Repository, StaticCredentials};
use tagwarden_testkit::{ImageBuilder, LocalRegistry};

use crate::standin::{Behaviour, StandIn};
use crate::support::{anonymous, client_with, config};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Pushes one image, then stores its manifest under `count` more tags
/// through the API. Returns every tag.
fn many_tags(registry: &LocalRegistry, repo: &str, count: usize) -> BTreeSet<String> {
    let built = ImageBuilder::new().file("a.txt", "tagged").build();
    built.push(registry, &format!("{repo}:base"));
    let manifest = built.blob(&built.digest());
    let mut tags = BTreeSet::from(["base".to_owned()]);
    for i in 0..count {
        let tag = format!("v{i:03}");
        registry.put_manifest(repo, &tag, OCI_MANIFEST, &manifest);
        tags.insert(tag);
    }
    tags
}

fn paged(page_size: u32) -> ClientConfig {
    ClientConfig {
        page_size,
        ..config()
    }
}

#[tokio::test]
async fn lists_more_than_150_tags() {
    let registry = LocalRegistry::start();
    let expected = many_tags(&registry, "team/app", 160);
    let repository: Repository = format!("{}/team/app", registry.host()).parse().unwrap();

    let tags = anonymous().list_tags(&repository).await.unwrap();

    assert_eq!(tags.len(), 161);
    assert_eq!(tags.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_link_pagination_of_tags() {
    let registry = LocalRegistry::start();
    let expected = many_tags(&registry, "team/app", 160);
    let standin = StandIn::start(
        registry.host(),
        Behaviour::PaginatedTags {
            fail_later_pages: false,
        },
    )
    .await;
    let repository: Repository = format!("{}/team/app", standin.host()).parse().unwrap();

    let client = client_with(paged(50), StaticCredentials::anonymous());
    let tags = client.list_tags(&repository).await.unwrap();

    assert_eq!(tags, expected.iter().cloned().collect::<Vec<_>>());
    let pages: Vec<String> = standin
        .seen("/tags/list")
        .into_iter()
        .map(|s| s.target)
        .collect();
    assert_eq!(
        pages,
        [
            "/v2/team/app/tags/list?n=50",
            "/v2/team/app/tags/list?n=50&last=v048",
            "/v2/team/app/tags/list?n=50&last=v098",
            "/v2/team/app/tags/list?n=50&last=v148",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_later_page_is_an_error_not_a_partial_list() {
    let registry = LocalRegistry::start();
    many_tags(&registry, "team/app", 60);
    let standin = StandIn::start(
        registry.host(),
        Behaviour::PaginatedTags {
            fail_later_pages: true,
        },
    )
    .await;
    let repository: Repository = format!("{}/team/app", standin.host()).parse().unwrap();

    let client = client_with(paged(50), StaticCredentials::anonymous());
    let err = client.list_tags(&repository).await.unwrap_err();

    assert!(matches!(err, ListError::Unavailable { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "registry was unavailable while listing tags of repository {repository}: \
             HTTP 503 (gave up after 4 attempts)"
        )
    );
}

#[tokio::test]
async fn follows_link_pagination_of_the_catalog() {
    let registry = LocalRegistry::start();
    let image = ImageBuilder::new().file("a.txt", "x").build();
    for repo in ["e/five", "a/one", "d/four", "b/two", "c/three"] {
        image.push(&registry, &format!("{repo}:v1"));
    }
    let client = client_with(paged(2), StaticCredentials::anonymous());

    let catalog = client
        .catalog(&registry.host().parse().unwrap())
        .await
        .unwrap();

    assert_eq!(catalog, ["a/one", "b/two", "c/three", "d/four", "e/five"]);
}

#[tokio::test]
async fn tags_of_a_missing_repository_are_not_found() {
    let registry = LocalRegistry::start();
    let repository: Repository = format!("{}/no/such", registry.host()).parse().unwrap();

    let err = anonymous().list_tags(&repository).await.unwrap_err();

    assert!(matches!(err, ListError::NotFound { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("tags of repository {repository} not found")
    );
}
