//! The HTTP layer for the requests whose headers matter: manifests (the
//! digest and content type), tag and catalog listing (`Link`), and every
//! 429 (`Retry-After`). oci-client 0.18 does not return response headers,
//! so these requests are made here, on the same reqwest and rustls stack.

mod auth;
mod retry;

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use self::auth::AuthState;
pub(crate) use self::retry::{Attempt, run as with_retries};
use crate::config::ClientConfig;
use crate::credentials::{CredentialProvider, Credentials};
use crate::error::Failure;
use crate::host::RegistryHost;

/// One request to a registry.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) registry: RegistryHost,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) accept: Option<String>,
    /// The token scope, e.g. `repository:team/app:pull`.
    pub(crate) scope: String,
    /// The largest body read into memory; more is an invalid response.
    pub(crate) body_limit: usize,
}

/// A successful response, body read.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends [`Call`]s with authentication and retries.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    config: ClientConfig,
    credentials: Arc<dyn CredentialProvider>,
    auth: AuthState,
}

impl Transport {
    pub(crate) fn new(
        config: ClientConfig,
        credentials: Arc<dyn CredentialProvider>,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(concat!("tagwarden/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            config,
            credentials,
            auth: AuthState::default(),
        })
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) async fn credentials(
        &self,
        registry: &RegistryHost,
    ) -> Result<Credentials, Failure> {
        self.credentials
            .credentials(registry)
            .await
            .map_err(Failure::Credentials)
    }

    /// `scheme://api-host/path` for a registry's API.
    pub(crate) fn api_url(&self, registry: &RegistryHost, path: &str) -> Result<Url, Failure> {
        let text = format!(
            "{}://{}/{path}",
            self.config.scheme(registry),
            registry.api_host()
        );
        Url::parse(&text).map_err(|e| Failure::Invalid(format!("bad registry URL {text}: {e}")))
    }

    /// Sends `call`, retrying per the policy; a success or a final error.
    pub(crate) async fn fetch(&self, call: &Call) -> Result<Reply, Failure> {
        let what = format!("{} {}", call.method, call.url);
        with_retries(&self.config.retry, &what, || self.attempt(call)).await
    }

    async fn attempt(&self, call: &Call) -> Result<Reply, Attempt> {
        let credentials = self
            .credentials(&call.registry)
            .await
            .map_err(Attempt::Fail)?;
        let (header, sent) = self.auth.preset(&call.registry, &call.scope, &credentials);
        let mut response = self.send(call, header).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            let (header, sent) = self
                .auth
                .answer(
                    &self.http,
                    call,
                    &credentials,
                    sent,
                    response.headers().get(WWW_AUTHENTICATE),
                    self.config.plain_http(&call.registry),
                )
                .await?;
            response = self.send(call, Some(header)).await?;
            if response.status() == StatusCode::UNAUTHORIZED {
                return Err(Attempt::Fail(Failure::Unauthorized(auth::refusal(sent))));
            }
        }
        classify(response, call.body_limit).await
    }

    async fn send(&self, call: &Call, auth: Option<HeaderValue>) -> Result<Response, Attempt> {
        let mut request = self.http.request(call.method.clone(), call.url.clone());
        if let Some(accept) = &call.accept {
            request = request.header(ACCEPT, accept);
        }
        if let Some(auth) = auth {
            request = request.header(AUTHORIZATION, auth);
        }
        request.send().await.map_err(|e| Attempt::Retry {
            reason: describe(&e),
            after: None,
        })
    }
}

/// Sorts a response into success, retry or final failure.
async fn classify(response: Response, limit: usize) -> Result<Reply, Attempt> {
    let status = response.status();
    if status.is_success() {
        let headers = response.headers().clone();
        let body = read_limited(response, limit).await?;
        return Ok(Reply { headers, body });
    }
    let after = retry::retry_after(response.headers());
    let body = read_limited(response, 64 * 1024).await.unwrap_or_default();
    let said = registry_message(&body);
    match status {
        StatusCode::NOT_FOUND => Err(Attempt::Fail(Failure::NotFound)),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(Attempt::Fail(
            Failure::Unauthorized(format!("HTTP {}{said}", status.as_u16())),
        )),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => Err(Attempt::Retry {
            reason: format!("HTTP {}{said}", status.as_u16()),
            after,
        }),
        s if s.is_server_error() && s != StatusCode::NOT_IMPLEMENTED => Err(Attempt::Retry {
            reason: format!("HTTP {}{said}", status.as_u16()),
            after,
        }),
        s => Err(Attempt::Fail(Failure::Invalid(format!(
            "unexpected HTTP {}{said}",
            s.as_u16()
        )))),
    }
}

/// Reads a body up to `limit` bytes; a body that breaks off is retried.
async fn read_limited(mut response: Response, limit: usize) -> Result<Bytes, Attempt> {
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > limit => {
                return Err(Attempt::Fail(Failure::Invalid(format!(
                    "response body is larger than {limit} bytes"
                ))));
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Ok(body.freeze()),
            Err(e) => {
                return Err(Attempt::Retry {
                    reason: describe(&e),
                    after: None,
                });
            }
        }
    }
}

/// The first message of an OCI error body, as `: message`, or nothing.
fn registry_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(e) => e
            .errors
            .first()
            .map(|e| format!(": {} {}", e.code, e.message))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// A reqwest error with its causes, since its own message is often just
/// "error sending request".
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
