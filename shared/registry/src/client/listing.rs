//! Tag and catalog listing, following the `Link` header page by page.

use std::collections::HashSet;

use reqwest::Method;
use reqwest::header::{HeaderMap, LINK};
use serde::de::DeserializeOwned;
use url::Url;

use super::RegistryClient;
use crate::error::{Failure, ListError};
use crate::host::RegistryHost;
use crate::reference::Repository;
use crate::transport::Call;

/// The largest page read; 1000 long names fit easily.
const PAGE_LIMIT: usize = 8 * 1024 * 1024;
/// A registry that keeps sending `next` beyond this is looping.
const MAX_PAGES: usize = 10_000;

#[derive(serde::Deserialize)]
struct TagPage {
    tags: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct CatalogPage {
    repositories: Option<Vec<String>>,
}

impl RegistryClient {
    /// Every tag of `repository`, in the registry's order. All pages or an
    /// error: a partial list would look like deleted tags.
    #[tracing::instrument(skip(self), fields(repository = %repository))]
    pub async fn list_tags(&self, repository: &Repository) -> Result<Vec<String>, ListError> {
        let path = format!("v2/{}/tags/list", repository.name());
        let scope = format!("repository:{}:pull", repository.name());
        let pages = self.pages(repository.registry(), &path, scope, |p: TagPage| p.tags);
        pages
            .await
            .map_err(|f| f.for_listing(format!("tags of repository {repository}")))
    }

    /// Every repository in the registry's catalog (`/v2/_catalog`). Many
    /// hosted registries (Docker Hub, GHCR) do not offer it; they answer
    /// 401 or 404.
    #[tracing::instrument(skip(self), fields(registry = %registry))]
    pub async fn catalog(&self, registry: &RegistryHost) -> Result<Vec<String>, ListError> {
        let scope = "registry:catalog:*".to_owned();
        let pages = self.pages(registry, "v2/_catalog", scope, |p: CatalogPage| {
            p.repositories
        });
        pages
            .await
            .map_err(|f| f.for_listing(format!("catalog of registry {registry}")))
    }

    async fn pages<P: DeserializeOwned>(
        &self,
        registry: &RegistryHost,
        path: &str,
        scope: String,
        names: fn(P) -> Option<Vec<String>>,
    ) -> Result<Vec<String>, Failure> {
        let mut url = self.transport().api_url(registry, path)?;
        url.query_pairs_mut()
            .append_pair("n", &self.config().page_size.to_string());
        let (mut all, mut seen) = (Vec::new(), HashSet::new());
        loop {
            if !seen.insert(url.clone()) || seen.len() > MAX_PAGES {
                return Err(Failure::Invalid(format!("pagination loops at {url}")));
            }
            let call = Call {
                registry: registry.clone(),
                method: Method::GET,
                url: url.clone(),
                accept: Some("application/json".to_owned()),
                scope: scope.clone(),
                body_limit: PAGE_LIMIT,
            };
            let reply = self.transport().fetch(&call).await?;
            let page: P = serde_json::from_slice(&reply.body)
                .map_err(|e| Failure::Invalid(format!("page at {url} is not a listing: {e}")))?;
            let page = names(page).unwrap_or_default();
            tracing::debug!(%url, names = page.len(), "listing page");
            all.extend(page);
            match next_page(&reply.headers, &url)? {
                Some(next) => url = next,
                None => return Ok(all),
            }
        }
    }
}

/// The `rel="next"` target of a `Link` header, resolved against the page
/// it came with. It must stay on the same origin: credentials go with it.
fn next_page(headers: &HeaderMap, current: &Url) -> Result<Option<Url>, Failure> {
    for value in headers.get_all(LINK) {
        let Ok(text) = value.to_str() else { continue };
        for link in split_links(text) {
            let Some((target, params)) = link
                .trim()
                .strip_prefix('<')
                .and_then(|l| l.split_once('>'))
            else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                let p = p.trim().replace(' ', "");
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if !is_next {
                continue;
            }
            let next = current
                .join(target)
                .map_err(|e| Failure::Invalid(format!("Link target {target:?}: {e}")))?;
            if next.origin() != current.origin() {
                return Err(Failure::Invalid(format!(
                    "Link points to another host: {next}"
                )));
            }
            return Ok(Some(next));
        }
    }
    Ok(None)
}

/// Splits a `Link` header at the commas between links (not those inside
/// `<…>`).
fn split_links(text: &str) -> Vec<&str> {
    let (mut parts, mut start, mut inside) = (Vec::new(), 0, false);
    for (i, c) in text.char_indices() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            ',' if !inside => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn next(link: &str) -> Result<Option<String>, Failure> {
        let mut headers = HeaderMap::new();
        headers.insert(LINK, HeaderValue::from_str(link).unwrap());
        let current = Url::parse("http://127.0.0.1:5000/v2/_catalog?n=2").unwrap();
        next_page(&headers, &current).map(|u| u.map(String::from))
    }

    #[test]
    fn follows_relative_next_links() {
        assert_eq!(
            next(r#"</v2/_catalog?last=test%2Fb&n=2>; rel="next""#)
                .unwrap()
                .as_deref(),
            Some("http://127.0.0.1:5000/v2/_catalog?last=test%2Fb&n=2")
        );
        let several = r#"</v2/x?a=1,2>; rel="prev", </v2/_catalog?last=c&n=2>; rel=next"#;
        assert_eq!(
            next(several).unwrap().as_deref(),
            Some("http://127.0.0.1:5000/v2/_catalog?last=c&n=2")
        );
        assert_eq!(next(r#"</v2/x>; rel="prev""#).unwrap(), None);
    }

    #[test]
    fn refuses_links_to_other_hosts() {
        assert!(next(r#"<https://evil.example/v2/_catalog>; rel="next""#).is_err());
    }
}
