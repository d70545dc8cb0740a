//! Turning a stored integration into a provider: its settings map, its
//! credential (named, resolved from config) and the service's client
//! settings. Checking an integration needs no network; building an ECR or
//! Artifact Registry provider may ask the credential chain.

use std::collections::BTreeMap;
use std::sync::Arc;

use tagwarden_registry::provider::acr::{AcrProvider, AcrSettings, AzureCredentialChoice};
use tagwarden_registry::provider::clock::SharedClock;
use tagwarden_registry::provider::ecr::{EcrProvider, EcrSettings};
use tagwarden_registry::provider::gar::{GarProvider, GarSettings};
use tagwarden_registry::provider::oci::{OciProvider, OciSettings};
use tagwarden_registry::provider::{
    ProviderError, ProviderErrorKind, ProviderKind, RegistryProvider, acr,
};
use tagwarden_registry::{ClientConfig, Credentials, RegistryHost, RetryPolicy, StaticCredentials};

use crate::settings::{CredentialConfig, Settings};

/// What an integration is, as far as building its provider goes.
#[derive(Debug, Clone)]
pub(crate) struct Spec<'a> {
    pub(crate) provider: &'a str,
    pub(crate) registry: &'a str,
    pub(crate) settings: &'a BTreeMap<String, String>,
    pub(crate) credential_ref: &'a str,
}

/// Checks a spec against the rules of its provider and the configured
/// credentials; the message says what to fix.
pub(crate) fn check(spec: &Spec<'_>, config: &Settings) -> Result<ProviderKind, String> {
    let names: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
    let kind = ProviderKind::parse(spec.provider).ok_or_else(|| {
        format!(
            "provider {:?} is not one of {}",
            spec.provider,
            names.join(", ")
        )
    })?;
    let required: &[&str] = match kind {
        ProviderKind::Ecr => &["region"],
        ProviderKind::ArtifactRegistry => &["project", "location"],
        ProviderKind::Acr | ProviderKind::Oci => &[],
    };
    for key in required {
        if spec.settings.get(*key).is_none_or(|v| v.trim().is_empty()) {
            return Err(format!(
                "an integration of provider {kind} needs the setting {key:?}"
            ));
        }
    }
    let registry_needed = matches!(kind, ProviderKind::Acr | ProviderKind::Oci);
    if registry_needed && spec.registry.is_empty() {
        return Err(format!(
            "an integration of provider {kind} needs a registry host"
        ));
    }
    if !spec.registry.is_empty() {
        spec.registry
            .parse::<RegistryHost>()
            .map_err(|e| e.to_string())?;
    }
    if !spec.credential_ref.is_empty() {
        credential(spec, config)?;
    }
    Ok(kind)
}

/// The named credential, if it exists and fits the provider.
fn credential<'c>(spec: &Spec<'_>, config: &'c Settings) -> Result<&'c CredentialConfig, String> {
    let found = config.credentials.get(spec.credential_ref).ok_or_else(|| {
        format!(
            "no credential named {:?} in the service config (service.credentials)",
            spec.credential_ref
        )
    })?;
    if !found.fits(spec.provider) {
        return Err(format!(
            "credential {:?} cannot be used with a {} integration",
            spec.credential_ref, spec.provider
        ));
    }
    Ok(found)
}

/// Builds the provider of a spec.
pub(crate) async fn build(
    spec: &Spec<'_>,
    config: &Settings,
    clock: SharedClock,
) -> Result<Arc<dyn RegistryProvider>, ProviderError> {
    let kind = check(spec, config).map_err(|m| ProviderError::new(ProviderErrorKind::Config, m))?;
    let credential = match spec.credential_ref {
        "" => None,
        _ => credential(spec, config).ok(),
    };
    let get = |key: &str| spec.settings.get(key).filter(|v| !v.is_empty()).cloned();
    let endpoint = |key: &str| {
        get(key)
            .map(|u| url::Url::parse(&u))
            .transpose()
            .map_err(|e| config_error(format!("setting {key:?} is not a URL: {e}")))
    };
    let registry = host(spec.registry)?;
    Ok(match kind {
        ProviderKind::Oci => {
            let registry = registry.ok_or_else(|| config_error("no registry host".into()))?;
            let mut creds = StaticCredentials::anonymous();
            if let Some(CredentialConfig::Basic { username, password }) = credential {
                let password = secrecy::ExposeSecret::expose_secret(password).to_owned();
                creds = creds.with(registry.clone(), Credentials::basic(username, password));
            }
            let settings = OciSettings {
                repositories: get("repositories").map(|list| {
                    list.split(',')
                        .map(|r| r.trim().to_owned())
                        .filter(|r| !r.is_empty())
                        .collect()
                }),
                client: client_config(config)?,
                tag_concurrency: config.tag_concurrency,
                registry,
            };
            Arc::new(OciProvider::new(settings, Arc::new(creds))?)
        }
        ProviderKind::Ecr => {
            let role_arn = match credential {
                Some(CredentialConfig::AwsAssumeRole { role_arn }) => Some(role_arn.clone()),
                _ => None,
            };
            let settings = EcrSettings {
                region: get("region").unwrap_or_default(),
                registry_id: get("registry_id"),
                role_arn,
                endpoint: get("endpoint"),
                registry_host: registry,
                page_size: Some(i32::try_from(config.page_size.min(1000)).unwrap_or(1000)),
            };
            Arc::new(EcrProvider::from_standard_chain(settings, clock).await?)
        }
        ProviderKind::Acr => {
            let registry = registry.ok_or_else(|| config_error("no registry host".into()))?;
            let choice = azure_choice(credential);
            let account = get("subscription_id").unwrap_or_else(|| registry.to_string());
            let settings = AcrSettings {
                registry,
                tenant_id: get("tenant_id"),
                account,
                endpoint: endpoint("endpoint")?,
                page_size: config.page_size.min(100),
            };
            Arc::new(AcrProvider::new(
                settings,
                acr::azure_credential(&choice)?,
                clock,
            )?)
        }
        ProviderKind::ArtifactRegistry => {
            let tokens: Arc<dyn gcp_auth::TokenProvider> = match credential {
                Some(CredentialConfig::GcpServiceAccountKey { path }) => Arc::new(
                    gcp_auth::CustomServiceAccount::from_file(path)
                        .map_err(|e| config_error(format!("service account key: {e}")))?,
                ),
                _ => gcp_auth::provider().await.map_err(|e| {
                    ProviderError::new(
                        ProviderErrorKind::Unauthorized,
                        format!("no Google credentials found: {e}"),
                    )
                })?,
            };
            let settings = GarSettings {
                project: get("project").unwrap_or_default(),
                location: get("location").unwrap_or_default(),
                endpoint: endpoint("endpoint")?,
                registry_host: registry,
                page_size: config.page_size,
            };
            Arc::new(GarProvider::new(settings, tokens)?)
        }
    })
}

fn azure_choice(credential: Option<&CredentialConfig>) -> AzureCredentialChoice {
    match credential {
        Some(CredentialConfig::AzureClientSecret {
            tenant_id,
            client_id,
            client_secret,
        }) => AzureCredentialChoice::ClientSecret {
            tenant_id: tenant_id.clone(),
            client_id: client_id.clone(),
            secret: client_secret.clone(),
        },
        Some(CredentialConfig::AzureWorkloadIdentity) => AzureCredentialChoice::WorkloadIdentity,
        Some(CredentialConfig::AzureCli) => AzureCredentialChoice::AzureCli,
        Some(CredentialConfig::AzureManagedIdentity { client_id }) => {
            AzureCredentialChoice::ManagedIdentity {
                client_id: client_id.clone(),
            }
        }
        _ => AzureCredentialChoice::ManagedIdentity { client_id: None },
    }
}

fn host(text: &str) -> Result<Option<RegistryHost>, ProviderError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|e: tagwarden_registry::HostParseError| config_error(e.to_string()))
}

fn client_config(config: &Settings) -> Result<ClientConfig, ProviderError> {
    let insecure = config
        .insecure_registries
        .iter()
        .map(|h| h.parse())
        .collect::<Result<Vec<RegistryHost>, _>>()
        .map_err(|e| config_error(format!("insecure_registries: {e}")))?;
    Ok(ClientConfig {
        insecure_registries: insecure,
        retry: RetryPolicy {
            max_attempts: config.registry_attempts.max(1),
            first_delay: config.registry_retry_delay,
            ..RetryPolicy::default()
        },
        page_size: config.page_size,
        ..ClientConfig::default()
    })
}

fn config_error(message: String) -> ProviderError {
    ProviderError::new(ProviderErrorKind::Config, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(
        provider: &'a str,
        registry: &'a str,
        settings: &'a BTreeMap<String, String>,
    ) -> Spec<'a> {
        Spec {
            provider,
            registry,
            settings,
            credential_ref: "",
        }
    }

    #[test]
    fn checks_say_what_is_missing() {
        let none = BTreeMap::new();
        let config = Settings::default();
        assert_eq!(
            check(&spec("quay", "", &none), &config).unwrap_err(),
            r#"provider "quay" is not one of ecr, artifact-registry, acr, oci"#
        );
        assert_eq!(
            check(&spec("ecr", "", &none), &config).unwrap_err(),
            r#"an integration of provider ecr needs the setting "region""#
        );
        assert_eq!(
            check(&spec("oci", "", &none), &config).unwrap_err(),
            "an integration of provider oci needs a registry host"
        );
        assert!(check(&spec("oci", "127.0.0.1:5000", &none), &config).is_ok());
        let mut named = spec("oci", "ghcr.io", &none);
        named.credential_ref = "ghcr";
        assert!(
            check(&named, &config)
                .unwrap_err()
                .contains(r#"no credential named "ghcr""#)
        );
    }
}
