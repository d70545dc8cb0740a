//! The service's settings (`[service]` in its config file) and the named
//! credentials integrations refer to. Secrets live only here, in config
//! or `TAGWARDEN_SERVICE__CREDENTIALS__<NAME>__…` variables, wrapped so
//! they never print; the datastore holds their names.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use tagwarden_runtime::config::seconds;

/// Settings of the discovery service.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Seconds between two syncs of an integration; 0 turns periodic
    /// syncs off, leaving `Refresh` only.
    #[serde(deserialize_with = "seconds")]
    pub sync_interval: Duration,
    /// Integrations synced at once.
    pub sync_concurrency: usize,
    /// Repositories of one integration listed at once.
    pub repository_concurrency: usize,
    /// Tags of one OCI repository read at once.
    pub tag_concurrency: usize,
    /// Attempts per registry request (429, 5xx and connection errors are
    /// retried with a growing delay).
    pub registry_attempts: u32,
    /// Seconds before the second attempt; later delays double.
    #[serde(deserialize_with = "seconds")]
    pub registry_retry_delay: Duration,
    /// Entries asked for per page of a listing.
    pub page_size: u32,
    /// Registries reached over plain HTTP although not on loopback.
    pub insecure_registries: Vec<String>,
    /// Credentials integrations name in `credential_ref`.
    pub credentials: BTreeMap<String, CredentialConfig>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            sync_interval: Duration::from_secs(2 * 60 * 60),
            sync_concurrency: 4,
            repository_concurrency: 8,
            tag_concurrency: 8,
            registry_attempts: 5,
            registry_retry_delay: Duration::from_millis(500),
            page_size: 1000,
            insecure_registries: Vec::new(),
            credentials: BTreeMap::new(),
        }
    }
}

/// A named credential. An integration without `credential_ref` uses its
/// provider's standard chain: anonymous for OCI registries, `aws-config`'s
/// chain for ECR, `gcp_auth`'s for Artifact Registry, and the managed
/// identity for ACR (`azure_identity` 1.0 has no default chain).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredentialConfig {
    /// A user name and password (or token) for an OCI registry.
    Basic {
        /// The user name.
        username: String,
        /// The password or access token.
        password: SecretString,
    },
    /// A role ECR is read with, assumed with the standard chain's
    /// credentials.
    AwsAssumeRole {
        /// `arn:aws:iam::ACCOUNT:role/NAME`.
        role_arn: String,
    },
    /// An Entra ID service principal with a client secret.
    AzureClientSecret {
        /// The directory (tenant) id.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
    },
    /// A managed identity; a user-assigned one with its client id.
    AzureManagedIdentity {
        /// The user-assigned identity's client id.
        #[serde(default)]
        client_id: Option<String>,
    },
    /// AKS workload identity.
    AzureWorkloadIdentity,
    /// The signed-in Azure CLI (development only).
    AzureCli,
    /// A GCP service account key file.
    GcpServiceAccountKey {
        /// Path of the JSON key.
        path: PathBuf,
    },
}

impl CredentialConfig {
    /// The provider names this credential can be used with.
    pub(crate) fn fits(&self, provider: &str) -> bool {
        let wanted = match self {
            Self::Basic { .. } => "oci",
            Self::AwsAssumeRole { .. } => "ecr",
            Self::AzureClientSecret { .. }
            | Self::AzureManagedIdentity { .. }
            | Self::AzureWorkloadIdentity
            | Self::AzureCli => "acr",
            Self::GcpServiceAccountKey { .. } => "artifact-registry",
        };
        wanted == provider
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn credentials_come_from_the_environment_and_never_print() {
        let env: HashMap<String, String> = [
            ("TAGWARDEN_SERVICE__SYNC_INTERVAL", "60"),
            ("TAGWARDEN_SERVICE__CREDENTIALS__GHCR__KIND", "basic"),
            ("TAGWARDEN_SERVICE__CREDENTIALS__GHCR__USERNAME", "bot"),
            ("TAGWARDEN_SERVICE__CREDENTIALS__GHCR__PASSWORD", "hunter2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let config: crate::Config = tagwarden_runtime::config::load_from(None, Some(env)).unwrap();
        let settings = config.service;
        assert_eq!(settings.sync_interval, Duration::from_secs(60));
        let ghcr = &settings.credentials["ghcr"];
        assert!(ghcr.fits("oci") && !ghcr.fits("ecr"));
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
