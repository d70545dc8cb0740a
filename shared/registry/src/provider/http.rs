//! The few HTTP calls the ACR and Artifact Registry providers make to
//! their cloud APIs: JSON with a bearer token, forms to token endpoints,
//! a short retry on 429/5xx, and `Link` pagination.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, LINK};
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use super::{ProviderError, ProviderErrorKind};

/// Attempts per call; cloud APIs shed load with 429 and 503.
const ATTEMPTS: u32 = 3;
const FIRST_DELAY: Duration = Duration::from_millis(200);

/// A JSON reply and its headers.
#[derive(Debug)]
pub(crate) struct JsonReply<T> {
    pub(crate) body: T,
    pub(crate) headers: HeaderMap,
}

/// An HTTP client for cloud APIs.
pub(crate) fn client() -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .user_agent(concat!("tagwarden/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProviderError::config(format!("cannot build an HTTP client: {e}")))
}

/// `GET url` with a bearer token, read as JSON.
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
    token: &SecretString,
    doing: &str,
) -> Result<JsonReply<T>, ProviderError> {
    send_json(
        || http.get(url.clone()).bearer_auth(token.expose_secret()),
        doing,
    )
    .await
}

/// `POST url` with a form, read as JSON (token endpoints).
pub(crate) async fn post_form<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
    form: &[(&str, &str)],
    doing: &str,
) -> Result<T, ProviderError> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let request = || {
        http.post(url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.clone())
    };
    let reply = send_json(request, doing).await?;
    Ok(reply.body)
}

async fn send_json<T: DeserializeOwned>(
    request: impl Fn() -> RequestBuilder,
    doing: &str,
) -> Result<JsonReply<T>, ProviderError> {
    let mut delay = FIRST_DELAY;
    for attempt in 1..=ATTEMPTS {
        let failure = match request().send().await {
            Ok(response) if response.status().is_success() => {
                let headers = response.headers().clone();
                let bytes = response.bytes().await.map_err(|e| {
                    ProviderError::new(ProviderErrorKind::Unavailable, format!("{doing}: {e}"))
                })?;
                let body = serde_json::from_slice(&bytes).map_err(|e| {
                    ProviderError::new(
                        ProviderErrorKind::InvalidResponse,
                        format!("could not {doing}: the reply is not the expected JSON: {e}"),
                    )
                })?;
                return Ok(JsonReply { body, headers });
            }
            Ok(response) => classify(response.status(), doing),
            Err(e) => ProviderError::new(
                ProviderErrorKind::Unavailable,
                format!("could not {doing}: {e}"),
            ),
        };
        if !failure.is_transient() || attempt == ATTEMPTS {
            return Err(failure);
        }
        tracing::debug!(attempt, error = %failure, "cloud api call failed; retrying");
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    unreachable!("the last attempt returns")
}

fn classify(status: StatusCode, doing: &str) -> ProviderError {
    let kind = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ProviderErrorKind::Unauthorized,
        StatusCode::NOT_FOUND => ProviderErrorKind::NotFound,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => {
            ProviderErrorKind::Unavailable
        }
        s if s.is_server_error() => ProviderErrorKind::Unavailable,
        _ => ProviderErrorKind::InvalidResponse,
    };
    ProviderError::new(kind, format!("could not {doing}: HTTP {}", status.as_u16()))
}

/// The `rel="next"` link of a page, resolved against `current`, kept on
/// the same origin since the token goes with it.
pub(crate) fn next_link(headers: &HeaderMap, current: &Url) -> Option<Url> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter(|link| link.contains("rel=\"next\"") || link.contains("rel=next"))
        .filter_map(|link| {
            let target = link.trim().strip_prefix('<')?.split_once('>')?.0;
            current.join(target).ok()
        })
        .find(|next| next.origin() == current.origin())
}

/// `http` for loopback hosts (test stand-ins), `https` otherwise.
pub(crate) fn base_url(host: &crate::host::RegistryHost) -> Result<Url, ProviderError> {
    let scheme = if host.is_loopback() { "http" } else { "https" };
    Url::parse(&format!("{scheme}://{}/", host.api_host()))
        .map_err(|e| ProviderError::config(format!("bad registry URL for {host}: {e}")))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn follows_next_links_on_the_same_host() {
        let current = Url::parse("http://127.0.0.1:1/acr/v1/_catalog?n=2").unwrap();
        let mut headers = HeaderMap::new();
        let link = HeaderValue::from_static(r#"</acr/v1/_catalog?last=b&n=2>; rel="next""#);
        headers.insert(LINK, link);
        assert_eq!(
            next_link(&headers, &current).map(String::from).as_deref(),
            Some("http://127.0.0.1:1/acr/v1/_catalog?last=b&n=2")
        );
        headers.insert(
            LINK,
            HeaderValue::from_static(r#"<https://evil.example/x>; rel="next""#),
        );
        assert_eq!(next_link(&headers, &current), None);
    }
}
