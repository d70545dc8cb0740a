//! Pull credentials per registry host. Cloud registries get theirs from
//! the registry crate's providers (ECR's `GetAuthorizationToken`, ACR's
//! token exchange, Artifact Registry's OAuth token, each renewed by the
//! provider), self-hosted registries from static logins in config, and
//! every other host is pulled anonymously. Scan requests name only the
//! registry host: no secret travels in an event.
//!
//! The scanner does not read discovery's integrations; each cloud
//! registry it pulls from is listed in its own config with what its
//! provider needs (region, project, tenant...). A request for a cloud
//! registry that is not listed is pulled anonymously and fails with the
//! registry's refusal, which names the image.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use futures::future::BoxFuture;
use secrecy::SecretString;
use serde::Deserialize;
use tagwarden_registry::provider::RegistryProvider;
use tagwarden_registry::provider::acr::{
    AcrProvider, AcrSettings, AzureCredentialChoice, azure_credential,
};
use tagwarden_registry::provider::clock::SystemClock;
use tagwarden_registry::provider::ecr::{EcrProvider, EcrSettings};
use tagwarden_registry::provider::gar::{GarProvider, GarSettings};
use tagwarden_registry::{
    CredentialError, CredentialProvider, Credentials, RegistryHost, StaticCredentials,
};

/// One cloud registry the scanner pulls from, under
/// `[[service.cloud_registries]]` with `kind` = `ecr`, `acr` or
/// `artifact-registry`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CloudRegistry {
    /// AWS ECR, through aws-config's standard credential chain.
    Ecr {
        /// The region, e.g. `eu-west-1`.
        region: String,
        /// The registry (account) id; the caller's own when unset.
        registry_id: Option<String>,
        /// A role to assume for a registry in another account.
        role_arn: Option<String>,
        /// The ECR API endpoint instead of AWS's.
        endpoint: Option<String>,
        /// The pull host instead of `{id}.dkr.ecr.{region}.amazonaws.com`.
        registry_host: Option<String>,
    },
    /// Google Artifact Registry, through gcp_auth's default provider.
    ArtifactRegistry {
        /// The GCP project.
        project: String,
        /// The location, e.g. `europe-west1`.
        location: String,
        /// The pull host instead of `{location}-docker.pkg.dev`.
        registry_host: Option<String>,
    },
    /// Azure Container Registry, through an Entra ID credential.
    Acr {
        /// `name.azurecr.io`.
        registry: String,
        /// The subscription or registry name, as discovery reports it.
        #[serde(default)]
        account: String,
        /// The tenant the registry trusts, when not the credential's own.
        tenant_id: Option<String>,
        /// Which Entra ID credential to use.
        credential: AzureCredential,
    },
}

/// How to sign in to Entra ID for an ACR.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AzureCredential {
    /// The managed identity of the host (optionally a user-assigned one).
    ManagedIdentity {
        /// A user-assigned identity's client id.
        client_id: Option<String>,
    },
    /// Kubernetes workload identity (the federated token file).
    WorkloadIdentity,
    /// An app registration's client secret.
    ClientSecret {
        /// The tenant.
        tenant_id: String,
        /// The app's client id.
        client_id: String,
        /// The secret; never logged.
        secret: SecretString,
    },
    /// The signed-in Azure CLI, for development.
    AzureCli,
}

impl AzureCredential {
    fn choice(&self) -> AzureCredentialChoice {
        match self.clone() {
            Self::ManagedIdentity { client_id } => {
                AzureCredentialChoice::ManagedIdentity { client_id }
            }
            Self::WorkloadIdentity => AzureCredentialChoice::WorkloadIdentity,
            Self::ClientSecret {
                tenant_id,
                client_id,
                secret,
            } => AzureCredentialChoice::ClientSecret {
                tenant_id,
                client_id,
                secret,
            },
            Self::AzureCli => AzureCredentialChoice::AzureCli,
        }
    }
}

/// Credentials chosen by registry host.
#[derive(Debug, Default)]
pub(crate) struct ByHost {
    cloud: HashMap<RegistryHost, Arc<dyn CredentialProvider>>,
    fallback: StaticCredentials,
}

impl ByHost {
    /// Static logins (and anonymous access) for every host not given a
    /// provider with [`ByHost::with`].
    pub(crate) fn new(fallback: StaticCredentials) -> Self {
        Self {
            cloud: HashMap::new(),
            fallback,
        }
    }

    /// Uses `provider` for `host`.
    pub(crate) fn with(
        mut self,
        host: RegistryHost,
        provider: Arc<dyn CredentialProvider>,
    ) -> Self {
        self.cloud.insert(host, provider);
        self
    }

    /// Adds the provider of every listed cloud registry.
    pub(crate) async fn with_cloud(mut self, registries: &[CloudRegistry]) -> anyhow::Result<Self> {
        for registry in registries {
            let (host, provider) = cloud_provider(registry).await?;
            self = self.with(host, provider);
        }
        Ok(self)
    }
}

impl CredentialProvider for ByHost {
    fn credentials<'a>(
        &'a self,
        registry: &'a RegistryHost,
    ) -> BoxFuture<'a, Result<Credentials, CredentialError>> {
        match self.cloud.get(registry) {
            Some(provider) => provider.credentials(registry),
            None => self.fallback.credentials(registry),
        }
    }
}

fn host(text: &str, key: &str) -> anyhow::Result<RegistryHost> {
    text.parse()
        .with_context(|| format!("service.cloud_registries: {key} {text:?}"))
}

async fn cloud_provider(
    registry: &CloudRegistry,
) -> anyhow::Result<(RegistryHost, Arc<dyn CredentialProvider>)> {
    let clock = Arc::new(SystemClock);
    let provider: Box<dyn RegistryProvider> = match registry {
        CloudRegistry::Ecr {
            region,
            registry_id,
            role_arn,
            endpoint,
            registry_host,
        } => {
            let settings = EcrSettings {
                region: region.clone(),
                registry_id: registry_id.clone(),
                role_arn: role_arn.clone(),
                endpoint: endpoint.clone(),
                registry_host: registry_host
                    .as_deref()
                    .map(|h| host(h, "registry_host"))
                    .transpose()?,
                page_size: None,
            };
            Box::new(EcrProvider::from_standard_chain(settings, clock).await?)
        }
        CloudRegistry::ArtifactRegistry {
            project,
            location,
            registry_host,
        } => {
            let tokens = gcp_auth::provider()
                .await
                .context("no Google credentials for Artifact Registry")?;
            let settings = GarSettings {
                project: project.clone(),
                location: location.clone(),
                endpoint: None,
                registry_host: registry_host
                    .as_deref()
                    .map(|h| host(h, "registry_host"))
                    .transpose()?,
                page_size: 0,
            };
            Box::new(GarProvider::new(settings, tokens)?)
        }
        CloudRegistry::Acr {
            registry,
            account,
            tenant_id,
            credential,
        } => {
            let settings = AcrSettings {
                registry: host(registry, "registry")?,
                tenant_id: tenant_id.clone(),
                account: account.clone(),
                endpoint: None,
                page_size: 0,
            };
            let credential = azure_credential(&credential.choice())?;
            Box::new(AcrProvider::new(settings, credential, clock)?)
        }
    };
    Ok((provider.registry().clone(), provider.pull_credentials()))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    #[tokio::test]
    async fn each_host_gets_its_own_credentials() {
        let ecr: RegistryHost = "123.dkr.ecr.eu-west-1.amazonaws.com".parse().unwrap();
        let lan: RegistryHost = "registry.lan:5000".parse().unwrap();
        let other: RegistryHost = "ghcr.io".parse().unwrap();
        let cloud =
            StaticCredentials::anonymous().with(ecr.clone(), Credentials::basic("AWS", "token"));
        let logins =
            StaticCredentials::anonymous().with(lan.clone(), Credentials::basic("ci", "pw"));
        let by_host = ByHost::new(logins).with(ecr.clone(), Arc::new(cloud));
        let user = |c: Credentials| match c {
            Credentials::Basic { username, password } => {
                format!("{username}:{}", password.expose_secret())
            }
            Credentials::Anonymous => "anonymous".to_owned(),
        };
        assert_eq!(user(by_host.credentials(&ecr).await.unwrap()), "AWS:token");
        assert_eq!(user(by_host.credentials(&lan).await.unwrap()), "ci:pw");
        assert_eq!(
            user(by_host.credentials(&other).await.unwrap()),
            "anonymous"
        );
    }

    #[test]
    fn cloud_registries_read_from_config() {
        let toml = r#"
            [[registries]]
            kind = "ecr"
            region = "eu-west-1"
            role_arn = "arn:aws:iam::123:role/pull"

            [[registries]]
            kind = "artifact-registry"
            project = "shop"
            location = "europe-west1"

            [[registries]]
            kind = "acr"
            registry = "shop.azurecr.io"
            credential = { type = "client-secret", tenant_id = "t", client_id = "c", secret = "s3cret" }
        "#;
        #[derive(Deserialize)]
        struct File {
            registries: Vec<CloudRegistry>,
        }
        let file: File = toml::from_str(toml).unwrap();
        assert!(
            matches!(&file.registries[0], CloudRegistry::Ecr { region, .. } if region == "eu-west-1")
        );
        assert!(matches!(
            &file.registries[1],
            CloudRegistry::ArtifactRegistry { .. }
        ));
        let CloudRegistry::Acr { credential, .. } = &file.registries[2] else {
            panic!("not an ACR");
        };
        assert!(!format!("{credential:?}").contains("s3cret"));
        assert!(matches!(
            credential.choice(),
            AzureCredentialChoice::ClientSecret { .. }
        ));
    }
}
