//! Azure Container Registry: repositories from `/acr/v1/_catalog`, tags
//! with their digest and `lastUpdateTime` from the metadata API
//! `/acr/v1/{repository}/_tags`, both paged with `Link`. Every call carries
//! an ACR access token obtained through the Entra ID exchange in
//! [`tokens`]; pulls present the refresh token as a password.
//!
//! The `_tags` listing names no media type, so ACR tags carry none; and
//! untagged manifests are not listed.

mod tokens;

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use self::tokens::AcrTokens;
pub use self::tokens::{ACR_SCOPE, REFRESH_TOKEN_USER};
use super::clock::SharedClock;
use super::http::{self, get_json, next_link};
use super::{ImageTag, ProviderError, ProviderErrorKind, ProviderKind, PushedAtSource};
use crate::credentials::{CredentialError, CredentialProvider, Credentials};
use crate::host::RegistryHost;

/// Which `azure_identity` credential signs in. `azure_identity` 1.0 has no
/// default chain, so the integration's settings name one.
#[derive(Debug, Clone)]
pub enum AzureCredentialChoice {
    /// The managed identity of the VM, App Service or pod; a user-assigned
    /// one when a client id is given.
    ManagedIdentity {
        /// The user-assigned identity's client id.
        client_id: Option<String>,
    },
    /// AKS workload identity, from the `AZURE_*` variables AKS injects.
    WorkloadIdentity,
    /// A service principal's client secret.
    ClientSecret {
        /// The directory (tenant) id.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// The secret.
        secret: SecretString,
    },
    /// The signed-in Azure CLI, for development machines.
    AzureCli,
}

/// Builds the credential `choice` names.
pub fn azure_credential(
    choice: &AzureCredentialChoice,
) -> Result<Arc<dyn TokenCredential>, ProviderError> {
    let failed = |e: azure_core::Error| {
        ProviderError::config(format!("cannot set up the Azure credential: {e}"))
    };
    Ok(match choice {
        AzureCredentialChoice::ManagedIdentity { client_id } => {
            let options = azure_identity::ManagedIdentityCredentialOptions {
                user_assigned_id: client_id
                    .clone()
                    .map(azure_identity::UserAssignedId::ClientId),
                ..Default::default()
            };
            azure_identity::ManagedIdentityCredential::new(Some(options)).map_err(failed)?
        }
        AzureCredentialChoice::WorkloadIdentity => {
            azure_identity::WorkloadIdentityCredential::new(None).map_err(failed)?
        }
        AzureCredentialChoice::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => {
            let secret = Secret::from(secret.expose_secret().to_owned());
            azure_identity::ClientSecretCredential::new(tenant_id, client_id.clone(), secret, None)
                .map_err(failed)?
        }
        AzureCredentialChoice::AzureCli => {
            azure_identity::AzureCliCredential::new(None).map_err(failed)?
        }
    })
}

/// How an [`AcrProvider`] reaches its registry.
#[derive(Debug, Clone)]
pub struct AcrSettings {
    /// The registry, e.g. `contoso.azurecr.io`.
    pub registry: RegistryHost,
    /// The Entra ID tenant, sent with the exchange.
    pub tenant_id: Option<String>,
    /// The Azure subscription (or any account label) shown with images.
    pub account: String,
    /// The token and metadata API base instead of `https://{registry}/`.
    pub endpoint: Option<Url>,
    /// Entries asked for per page.
    pub page_size: u32,
}

/// A provider for one Azure container registry.
#[derive(Debug)]
pub struct AcrProvider {
    settings: AcrSettings,
    base: Url,
    http: reqwest::Client,
    tokens: Arc<AcrTokens>,
}

#[derive(serde::Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Vec<String>,
}

#[derive(serde::Deserialize)]
struct TagsPage {
    #[serde(default)]
    tags: Vec<TagAttributes>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagAttributes {
    name: String,
    digest: String,
    last_update_time: Option<DateTime<Utc>>,
}

impl AcrProvider {
    /// A provider signing in with `credential`.
    pub fn new(
        settings: AcrSettings,
        credential: Arc<dyn TokenCredential>,
        clock: SharedClock,
    ) -> Result<Self, ProviderError> {
        let base = match &settings.endpoint {
            Some(url) => url.clone(),
            None => http::base_url(&settings.registry)?,
        };
        let http = http::client()?;
        let tokens = AcrTokens::new(
            credential,
            settings.registry.clone(),
            settings.tenant_id.clone(),
            base.clone(),
            http.clone(),
            clock,
        );
        Ok(Self {
            settings,
            base,
            http,
            tokens: Arc::new(tokens),
        })
    }

    /// Every page of a `Link`-paged listing, read with `scope`'s token.
    async fn pages<T: serde::de::DeserializeOwned, I>(
        &self,
        path: &str,
        scope: &str,
        items: fn(T) -> Vec<I>,
        doing: &str,
    ) -> Result<Vec<I>, ProviderError> {
        let token = self.tokens.access_token(scope).await?;
        let mut url = self
            .base
            .join(path)
            .map_err(|e| ProviderError::config(format!("bad ACR URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("n", &self.settings.page_size.to_string());
        let (mut all, mut pages) = (Vec::new(), 0_usize);
        loop {
            let reply = get_json::<T>(&self.http, &url, &token, doing).await?;
            all.extend(items(reply.body));
            pages += 1;
            match next_link(&reply.headers, &url) {
                Some(next) if pages < 100_000 => url = next,
                Some(_) => {
                    return Err(ProviderError::new(
                        ProviderErrorKind::InvalidResponse,
                        format!("could not {doing}: pagination does not end"),
                    ));
                }
                None => return Ok(all),
            }
        }
    }

    async fn repositories(&self) -> Result<Vec<String>, ProviderError> {
        let doing = format!("list repositories of {}", self.settings.registry);
        self.pages(
            "acr/v1/_catalog",
            "registry:catalog:*",
            |p: CatalogPage| p.repositories,
            &doing,
        )
        .await
    }

    async fn tags(&self, repository: &str) -> Result<Vec<ImageTag>, ProviderError> {
        let doing = format!("list tags of {}/{repository}", self.settings.registry);
        let scope = format!("repository:{repository}:metadata_read");
        let path = format!("acr/v1/{repository}/_tags");
        let tags = self
            .pages(&path, &scope, |p: TagsPage| p.tags, &doing)
            .await?;
        tags.into_iter()
            .map(|t| {
                let digest = t.digest.parse().map_err(|e| {
                    ProviderError::new(
                        ProviderErrorKind::InvalidResponse,
                        format!(
                            "could not {doing}: tag {} has digest {:?}: {e}",
                            t.name, t.digest
                        ),
                    )
                })?;
                Ok(ImageTag {
                    tag: Some(t.name),
                    digest,
                    media_type: String::new(),
                    pushed_at: t.last_update_time,
                    pushed_at_source: match t.last_update_time {
                        Some(_) => PushedAtSource::Registry,
                        None => PushedAtSource::Unknown,
                    },
                })
            })
            .collect()
    }
}

impl super::RegistryProvider for AcrProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Acr
    }

    fn registry(&self) -> &RegistryHost {
        &self.settings.registry
    }

    fn account(&self) -> &str {
        &self.settings.account
    }

    fn list_repositories(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        Box::pin(self.repositories())
    }

    fn list_tags<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ImageTag>, ProviderError>> {
        Box::pin(self.tags(repository))
    }

    fn pull_credentials(&self) -> Arc<dyn CredentialProvider> {
        Arc::new(AcrCredentials {
            tokens: self.tokens.clone(),
        })
    }
}

/// Pull credentials: the refresh token under [`REFRESH_TOKEN_USER`], which
/// the registry's own token endpoint turns into pull tokens.
#[derive(Debug)]
struct AcrCredentials {
    tokens: Arc<AcrTokens>,
}

impl CredentialProvider for AcrCredentials {
    fn credentials<'a>(
        &'a self,
        registry: &'a RegistryHost,
    ) -> BoxFuture<'a, Result<Credentials, CredentialError>> {
        Box::pin(async move {
            if *registry != self.tokens.registry {
                return Ok(Credentials::Anonymous);
            }
            let token = self
                .tokens
                .refresh_token()
                .await
                .map_err(|e| CredentialError {
                    registry: registry.clone(),
                    message: e.to_string(),
                    source: Some(Box::new(e)),
                })?;
            Ok(Credentials::basic(
                REFRESH_TOKEN_USER,
                token.expose_secret().to_owned(),
            ))
        })
    }
}
