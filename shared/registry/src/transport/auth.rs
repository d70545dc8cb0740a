//! Registry authentication: the `WWW-Authenticate` challenge, bearer
//! tokens cached per registry and scope until they expire, and basic auth
//! for registries that ask for it.
//!
//! Like Docker, a request first goes out with whatever this registry
//! needed last time (a cached token, or basic credentials), and the
//! challenge on a 401 says what to do instead: fetch a token from the
//! realm for the scope the registry names, or send basic credentials.
//!
//! Only the `Bearer` and `Basic` schemes are answered. Tokens are asked for
//! with a GET and basic credentials, as Docker's token spec describes; a
//! registry whose token endpoint only takes the OAuth2 POST form (refresh
//! tokens in a form body) is not supported.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http_auth::ChallengeRef;
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::Call;
use super::retry::{Attempt, retry_after};
use crate::credentials::Credentials;
use crate::error::Failure;
use crate::host::RegistryHost;

/// Tokens shorter-lived than this are used once and not cached.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);
/// The lifetime the token spec implies when `expires_in` is missing.
const DEFAULT_TOKEN_LIFETIME: u64 = 60;

/// What was sent with a request, to tell a refused password from a
/// missing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    Nothing,
    Basic,
    Bearer,
}

/// Per-client authentication state.
#[derive(Debug, Default)]
pub(crate) struct AuthState {
    tokens: Mutex<HashMap<(RegistryHost, String), CachedToken>>,
    basic_hosts: Mutex<HashSet<RegistryHost>>,
}

#[derive(Debug)]
struct CachedToken {
    value: SecretString,
    expires: Instant,
}

/// A parsed `Bearer` challenge.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BearerChallenge {
    pub(crate) realm: String,
    pub(crate) service: Option<String>,
    pub(crate) scope: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    Bearer(BearerChallenge),
    Basic,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

impl AuthState {
    /// The `Authorization` header to send before any challenge.
    pub(crate) fn preset(
        &self,
        registry: &RegistryHost,
        scope: &str,
        credentials: &Credentials,
    ) -> (Option<HeaderValue>, Sent) {
        let key = (registry.clone(), scope.to_owned());
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(token) = tokens.get(&key).filter(|t| t.expires > Instant::now()) {
            return (Some(bearer(&token.value)), Sent::Bearer);
        }
        drop(tokens);
        let basic = self.basic_hosts.lock().unwrap_or_else(|e| e.into_inner());
        match credentials {
            Credentials::Basic { username, password } if basic.contains(registry) => {
                (Some(basic_header(username, password)), Sent::Basic)
            }
            _ => (None, Sent::Nothing),
        }
    }

    /// Answers a 401: the header to retry with (and what kind it is), or
    /// why there is none.
    pub(crate) async fn answer(
        &self,
        http: &reqwest::Client,
        call: &Call,
        credentials: &Credentials,
        sent: Sent,
        challenge: Option<&HeaderValue>,
        plain_http_allowed: bool,
    ) -> Result<(HeaderValue, Sent), Attempt> {
        let refused = |detail: &str| Attempt::Fail(Failure::Unauthorized(detail.to_owned()));
        let challenge = challenge
            .and_then(|v| v.to_str().ok())
            .and_then(parse_challenge);
        match (challenge, credentials) {
            (Some(Challenge::Bearer(c)), _) => {
                let token =
                    fetch_token(http, &c, &call.scope, credentials, plain_http_allowed).await?;
                let header = bearer(&token.value);
                let key = (call.registry.clone(), call.scope.clone());
                self.tokens
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, token);
                Ok((header, Sent::Bearer))
            }
            (Some(Challenge::Basic), _) if sent == Sent::Basic => Err(refused(&refusal(sent))),
            (Some(Challenge::Basic), Credentials::Basic { username, password }) => {
                let mut hosts = self.basic_hosts.lock().unwrap_or_else(|e| e.into_inner());
                hosts.insert(call.registry.clone());
                Ok((basic_header(username, password), Sent::Basic))
            }
            (Some(Challenge::Basic), Credentials::Anonymous) => Err(refused(
                "HTTP 401: the registry wants credentials and none are configured",
            )),
            (None, _) => Err(refused(
                "HTTP 401 without a usable WWW-Authenticate challenge",
            )),
        }
    }
}

/// Why a request sent with `sent` got a 401 anyway.
pub(crate) fn refusal(sent: Sent) -> String {
    match sent {
        Sent::Basic => "HTTP 401: the registry refused the user name and password".to_owned(),
        Sent::Bearer => {
            "HTTP 401: the registry refused the token its token endpoint gave".to_owned()
        }
        Sent::Nothing => "HTTP 401: the registry wants credentials".to_owned(),
    }
}

/// Picks the Bearer challenge if there is one, else Basic.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let challenges: Vec<ChallengeRef<'_>> = http_auth::ChallengeParser::new(header)
        .filter_map(Result::ok)
        .collect();
    let param = |c: &ChallengeRef<'_>, name: &str| {
        c.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_unescaped())
    };
    let bearer = challenges
        .iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("bearer"));
    if let Some(c) = bearer
        && let Some(realm) = param(c, "realm")
    {
        let (service, scope) = (param(c, "service"), param(c, "scope"));
        return Some(Challenge::Bearer(BearerChallenge {
            realm,
            service,
            scope,
        }));
    }
    challenges
        .iter()
        .any(|c| c.scheme.eq_ignore_ascii_case("basic"))
        .then_some(Challenge::Basic)
}

/// Gets a token from the challenge's realm, sending basic credentials
/// when there are some (anonymous tokens otherwise).
async fn fetch_token(
    http: &reqwest::Client,
    challenge: &BearerChallenge,
    scope: &str,
    credentials: &Credentials,
    plain_http_allowed: bool,
) -> Result<CachedToken, Attempt> {
    let invalid = |detail: String| Attempt::Fail(Failure::Invalid(detail));
    let mut url = Url::parse(&challenge.realm).map_err(|e| {
        invalid(format!(
            "token realm {:?} is not a URL: {e}",
            challenge.realm
        ))
    })?;
    if url.scheme() != "https" && !plain_http_allowed {
        return Err(invalid(format!(
            "token realm {url} is not HTTPS; refusing to send credentials to it"
        )));
    }
    {
        let mut query = url.query_pairs_mut();
        if let Some(service) = &challenge.service {
            query.append_pair("service", service);
        }
        query.append_pair("scope", challenge.scope.as_deref().unwrap_or(scope));
    }
    let mut request = http.get(url.clone());
    if let Credentials::Basic { username, password } = credentials {
        request = request.basic_auth(username, Some(password.expose_secret()));
    }
    let response = request.send().await.map_err(|e| Attempt::Retry {
        reason: format!("token endpoint {}: {e}", url.origin().ascii_serialization()),
        after: None,
    })?;
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Err(Attempt::Fail(Failure::Unauthorized(format!(
            "the token endpoint refused the credentials (HTTP {})",
            status.as_u16()
        ))));
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        let after = retry_after(response.headers());
        return Err(Attempt::Retry {
            reason: format!("token endpoint: HTTP {status}"),
            after,
        });
    }
    if !status.is_success() {
        return Err(invalid(format!("token endpoint answered HTTP {status}")));
    }
    let body: TokenResponse = response
        .json()
        .await
        .map_err(|e| invalid(format!("token endpoint sent no usable token: {e}")))?;
    let value = body
        .token
        .or(body.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("token endpoint sent no token".to_owned()))?;
    let lifetime = Duration::from_secs(body.expires_in.unwrap_or(DEFAULT_TOKEN_LIFETIME));
    let expires = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN);
    tracing::debug!(realm = %challenge.realm, ?lifetime, "got registry token");
    Ok(CachedToken {
        value: SecretString::from(value),
        expires,
    })
}

fn bearer(token: &SecretString) -> HeaderValue {
    sensitive(format!("Bearer {}", token.expose_secret()))
}

fn basic_header(username: &str, password: &SecretString) -> HeaderValue {
    sensitive(http_auth::basic::encode_credentials(
        username,
        password.expose_secret(),
    ))
}

/// A header value marked sensitive so reqwest and hyper never log it.
/// Token and password characters that are not valid in a header make an
/// empty value, which the registry then refuses with a 401.
fn sensitive(text: String) -> HeaderValue {
    let mut value = HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_style_bearer_challenges() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#;
        assert_eq!(
            parse_challenge(header),
            Some(Challenge::Bearer(BearerChallenge {
                realm: "https://auth.docker.io/token".to_owned(),
                service: Some("registry.docker.io".to_owned()),
                scope: Some("repository:library/alpine:pull".to_owned()),
            }))
        );
    }

    #[test]
    fn prefers_bearer_and_recognises_basic() {
        let header = r#"Basic realm="x", Bearer realm="https://t/token""#;
        assert!(matches!(
            parse_challenge(header),
            Some(Challenge::Bearer(_))
        ));
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="no realm""#), None);
    }

    #[test]
    fn basic_is_preset_only_after_a_basic_challenge() {
        let state = AuthState::default();
        let host: RegistryHost = "127.0.0.1:5000".parse().unwrap();
        let creds = Credentials::basic("u", "p");
        assert_eq!(state.preset(&host, "s", &creds).1, Sent::Nothing);
        state.basic_hosts.lock().unwrap().insert(host.clone());
        let (header, sent) = state.preset(&host, "s", &creds);
        assert_eq!(sent, Sent::Basic);
        assert!(header.unwrap().is_sensitive());
        assert_eq!(
            state.preset(&host, "s", &Credentials::Anonymous).1,
            Sent::Nothing
        );
    }
}
