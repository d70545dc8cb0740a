//! ECR pull credentials: `GetAuthorizationToken` hands out a password
//! valid for 12 hours; it is kept and renewed [`RENEW_BEFORE`] its expiry,
//! judged by an injected clock, so a scan never starts with a password
//! about to lapse.

use std::sync::OnceLock;

use aws_sdk_ecr::Client;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::Mutex;

use super::{sdk_error, to_chrono};
use crate::credentials::{CredentialError, CredentialProvider, Credentials};
use crate::host::RegistryHost;
use crate::provider::clock::SharedClock;
use crate::provider::{ProviderError, ProviderErrorKind};

/// A password is renewed when it has less than this left.
pub const RENEW_BEFORE: TimeDelta = TimeDelta::hours(1);

/// Pull credentials for one ECR registry, fetched and renewed on demand.
#[derive(Debug)]
pub struct EcrCredentials {
    client: Client,
    clock: SharedClock,
    /// The registry host these credentials are for; other hosts get none.
    serves: OnceLock<RegistryHost>,
    cached: Mutex<Option<Token>>,
}

/// A fetched password and what came with it.
struct Token {
    username: String,
    password: SecretString,
    expires_at: DateTime<Utc>,
    proxy_endpoint: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl EcrCredentials {
    /// Credentials of the client's principal, renewed by `clock`'s time.
    /// ECR's password opens every registry the principal may read, so it
    /// names no registry.
    pub fn new(client: Client, clock: SharedClock) -> Self {
        Self {
            client,
            clock,
            serves: OnceLock::new(),
            cached: Mutex::new(None),
        }
    }

    /// Sets the host the credentials are handed out for.
    pub(crate) fn serve(&self, host: RegistryHost) {
        let _ = self.serves.set(host);
    }

    /// The registry id of the caller's own registry, from the proxy
    /// endpoint that comes with a token
    /// (`https://{id}.dkr.ecr.{region}.amazonaws.com`).
    pub(crate) async fn registry_id(&self) -> Result<String, ProviderError> {
        let (_, endpoint) = self.current().await?;
        let host = endpoint
            .split("://")
            .nth(1)
            .unwrap_or(&endpoint)
            .split(['.', '/', ':'])
            .next()
            .unwrap_or_default()
            .to_owned();
        if host.is_empty() {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidResponse,
                format!("ECR returned a proxy endpoint without a registry id: {endpoint:?}"),
            ));
        }
        Ok(host)
    }

    /// The current user name and password, fetched when none is kept or
    /// the kept one expires within [`RENEW_BEFORE`].
    pub async fn current(&self) -> Result<(Credentials, String), ProviderError> {
        let mut cached = self.cached.lock().await;
        let now = self.clock.now();
        let fresh = cached
            .as_ref()
            .is_some_and(|t| now < t.expires_at - RENEW_BEFORE);
        if !fresh {
            let token = self.fetch().await?;
            tracing::debug!(expires_at = %token.expires_at, "ecr authorization token fetched");
            *cached = Some(token);
        }
        let token = cached
            .as_ref()
            .unwrap_or_else(|| unreachable!("a token was stored above"));
        let credentials = Credentials::basic(
            token.username.clone(),
            token.password.expose_secret().to_owned(),
        );
        Ok((credentials, token.proxy_endpoint.clone()))
    }

    async fn fetch(&self) -> Result<Token, ProviderError> {
        let reply = self
            .client
            .get_authorization_token()
            .send()
            .await
            .map_err(|e| sdk_error("get an ECR authorization token", e))?;
        let invalid = |what: &str| {
            ProviderError::new(
                ProviderErrorKind::InvalidResponse,
                format!("ECR authorization token {what}"),
            )
        };
        let data = reply
            .authorization_data()
            .first()
            .ok_or_else(|| invalid("reply is empty"))?;
        let decoded = data
            .authorization_token()
            .and_then(|t| STANDARD.decode(t).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| invalid("is not base64 text"))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or_else(|| invalid("is not user:password"))?;
        let expires_at = data
            .expires_at()
            .and_then(to_chrono)
            .ok_or_else(|| invalid("has no expiry"))?;
        Ok(Token {
            username: username.to_owned(),
            password: SecretString::from(password.to_owned()),
            expires_at,
            proxy_endpoint: data.proxy_endpoint().unwrap_or_default().to_owned(),
        })
    }
}

impl CredentialProvider for EcrCredentials {
    fn credentials<'a>(
        &'a self,
        registry: &'a RegistryHost,
    ) -> BoxFuture<'a, Result<Credentials, CredentialError>> {
        Box::pin(async move {
            if self.serves.get() != Some(registry) {
                return Ok(Credentials::Anonymous);
            }
            self.current()
                .await
                .map(|(credentials, _)| credentials)
                .map_err(|e| CredentialError {
                    registry: registry.clone(),
                    message: e.to_string(),
                    source: Some(Box::new(e)),
                })
        })
    }
}
