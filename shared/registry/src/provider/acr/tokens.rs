//! ACR's token flow: an Entra ID token (from an `azure_identity`
//! credential) is exchanged at `/oauth2/exchange` for an ACR refresh
//! token, which buys scoped access tokens at `/oauth2/token` for the
//! metadata API. The refresh token is also the password Docker clients
//! pull with, under the fixed user name [`REFRESH_TOKEN_USER`].

use std::collections::HashMap;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::Mutex;
use url::Url;

use crate::host::RegistryHost;
use crate::provider::clock::SharedClock;
use crate::provider::http::post_form;
use crate::provider::{ProviderError, ProviderErrorKind};

/// The Entra ID scope of Azure Container Registry.
pub const ACR_SCOPE: &str = "https://containerregistry.azure.net/.default";
/// The user name that goes with an ACR refresh token as a password.
pub const REFRESH_TOKEN_USER: &str = "00000000-0000-0000-0000-000000000000";
/// Tokens are renewed when they have less than this left.
const MARGIN: TimeDelta = TimeDelta::minutes(5);
/// ACR access tokens live 75 minutes and do not say so in the reply.
const ACCESS_TOKEN_LIFETIME: TimeDelta = TimeDelta::minutes(60);

/// A token and until when it may be used.
#[derive(Debug, Clone)]
struct Kept {
    value: SecretString,
    expires_at: DateTime<Utc>,
}

/// Fetches and keeps the refresh token and access tokens of one registry.
#[derive(Debug)]
pub(crate) struct AcrTokens {
    pub(crate) credential: Arc<dyn TokenCredential>,
    pub(crate) registry: RegistryHost,
    pub(crate) tenant_id: Option<String>,
    pub(crate) base: Url,
    pub(crate) http: reqwest::Client,
    pub(crate) clock: SharedClock,
    refresh: Mutex<Option<Kept>>,
    access: Mutex<HashMap<String, Kept>>,
}

#[derive(serde::Deserialize)]
struct RefreshReply {
    refresh_token: String,
}

#[derive(serde::Deserialize)]
struct AccessReply {
    access_token: String,
}

impl AcrTokens {
    pub(crate) fn new(
        credential: Arc<dyn TokenCredential>,
        registry: RegistryHost,
        tenant_id: Option<String>,
        base: Url,
        http: reqwest::Client,
        clock: SharedClock,
    ) -> Self {
        Self {
            credential,
            registry,
            tenant_id,
            base,
            http,
            clock,
            refresh: Mutex::new(None),
            access: Mutex::new(HashMap::new()),
        }
    }

    /// The refresh token, exchanged again when it nears its expiry (that
    /// of the Entra token it came from).
    pub(crate) async fn refresh_token(&self) -> Result<SecretString, ProviderError> {
        let mut kept = self.refresh.lock().await;
        let now = self.clock.now();
        if let Some(token) = kept.as_ref().filter(|t| now < t.expires_at - MARGIN) {
            return Ok(token.value.clone());
        }
        let entra = self
            .credential
            .get_token(&[ACR_SCOPE], None)
            .await
            .map_err(|e| {
                ProviderError::new(
                    ProviderErrorKind::Unauthorized,
                    format!("could not get an Entra ID token for {}: {e}", self.registry),
                )
            })?;
        let expires_at = DateTime::from_timestamp(entra.expires_on.unix_timestamp(), 0)
            .unwrap_or(now + ACCESS_TOKEN_LIFETIME);
        let url = self.endpoint("oauth2/exchange")?;
        let mut form = vec![
            ("grant_type", "access_token"),
            ("service", self.registry.as_str()),
            ("access_token", entra.token.secret()),
        ];
        if let Some(tenant) = &self.tenant_id {
            form.push(("tenant", tenant));
        }
        let doing = format!(
            "exchange the Entra ID token for an ACR refresh token of {}",
            self.registry
        );
        let reply: RefreshReply = post_form(&self.http, &url, &form, &doing).await?;
        let value = SecretString::from(reply.refresh_token);
        tracing::debug!(registry = %self.registry, %expires_at, "acr refresh token obtained");
        *kept = Some(Kept {
            value: value.clone(),
            expires_at,
        });
        Ok(value)
    }

    /// An access token for `scope`, e.g. `repository:team/app:metadata_read`.
    pub(crate) async fn access_token(&self, scope: &str) -> Result<SecretString, ProviderError> {
        let now = self.clock.now();
        if let Some(token) = self.access.lock().await.get(scope)
            && now < token.expires_at - MARGIN
        {
            return Ok(token.value.clone());
        }
        let refresh = self.refresh_token().await?;
        let url = self.endpoint("oauth2/token")?;
        let form = [
            ("grant_type", "refresh_token"),
            ("service", self.registry.as_str()),
            ("scope", scope),
            ("refresh_token", refresh.expose_secret()),
        ];
        let doing = format!("get an ACR access token for {scope}");
        let reply: AccessReply = post_form(&self.http, &url, &form, &doing).await?;
        let value = SecretString::from(reply.access_token);
        let kept = Kept {
            value: value.clone(),
            expires_at: now + ACCESS_TOKEN_LIFETIME,
        };
        self.access.lock().await.insert(scope.to_owned(), kept);
        Ok(value)
    }

    fn endpoint(&self, path: &str) -> Result<Url, ProviderError> {
        self.base
            .join(path)
            .map_err(|e| ProviderError::config(format!("bad ACR endpoint: {e}")))
    }
}
