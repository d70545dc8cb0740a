//! The scanner's own settings, under `[service]` in its config file or
//! `TAGWARDEN_SERVICE__*` in the environment. Durations are seconds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tagwarden_registry::{Credentials, RegistryHost, StaticCredentials};
use tagwarden_runtime::config::seconds;

use crate::credentials::CloudRegistry;

/// How many scans run at once, how patient they are, where the advisory
/// database and the layer cache live, and where database updates come
/// from.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Scans running at once in this instance. Instances share one
    /// durable consumer, so adding instances adds scans without any scan
    /// running twice.
    pub concurrency: usize,
    /// How long JetStream waits for a request's ack before handing it to
    /// another instance: longer than the slowest scan, or a slow scan
    /// runs twice (the second finds the first's result and does nothing).
    #[serde(deserialize_with = "seconds")]
    pub ack_wait: Duration,
    /// A scan taking longer than this fails, retryable. Keep it below
    /// `ack_wait`.
    #[serde(deserialize_with = "seconds")]
    pub scan_timeout: Duration,
    /// The advisory database file; `<data_dir>/advisories.redb` when
    /// unset. Instances should share it (or each import the same source):
    /// a rematch runs only with the newest imported version.
    pub advisory_db: Option<PathBuf>,
    /// Per-layer analysis cache; `<data_dir>/layer-cache` when unset.
    pub layer_cache: Option<PathBuf>,
    /// Where the periodic import reads a new database: a directory or a
    /// zip of OSV records, or an http(s) URL of a zip. No periodic import
    /// when unset.
    pub database_source: Option<String>,
    /// How often the periodic import runs.
    #[serde(deserialize_with = "seconds")]
    pub database_update_interval: Duration,
    /// How often this instance looks for targets whose results came from
    /// an older database (after an import elsewhere, or a scan that
    /// finished with the old one).
    #[serde(deserialize_with = "seconds")]
    pub rematch_interval: Duration,
    /// How often events that could not be published are tried again.
    #[serde(deserialize_with = "seconds")]
    pub outbox_retry: Duration,
    /// Registries reached over plain HTTP although not on loopback.
    pub insecure_registries: Vec<String>,
    /// Static pull credentials, per registry host. Every other registry
    /// is pulled anonymously, unless it is a cloud registry below.
    pub registries: Vec<RegistryLogin>,
    /// Cloud registries whose pull credentials come from their provider
    /// (ECR, ACR, Artifact Registry).
    pub cloud_registries: Vec<CloudRegistry>,
}

/// A user name and password for one registry host.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistryLogin {
    /// `host[:port]`.
    pub host: String,
    /// The user name.
    pub username: String,
    /// The password or token; never logged.
    pub password: SecretString,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: 2,
            ack_wait: Duration::from_secs(20 * 60),
            scan_timeout: Duration::from_secs(15 * 60),
            advisory_db: None,
            layer_cache: None,
            database_source: None,
            database_update_interval: Duration::from_secs(6 * 3600),
            rematch_interval: Duration::from_secs(60),
            outbox_retry: Duration::from_secs(2),
            insecure_registries: Vec::new(),
            registries: Vec::new(),
            cloud_registries: Vec::new(),
        }
    }
}

impl Settings {
    /// Refuses settings that would make scans run twice or never.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.scan_timeout >= self.ack_wait {
            anyhow::bail!(
                "service.scan_timeout ({:?}) must be shorter than service.ack_wait ({:?}), \
                 or a slow scan is handed to a second instance while it still runs",
                self.scan_timeout,
                self.ack_wait
            );
        }
        if self.concurrency == 0 {
            anyhow::bail!("service.concurrency must be at least 1");
        }
        Ok(())
    }

    /// The advisory database file under `data_dir` unless configured.
    pub fn advisory_db_path(&self, data_dir: &Path) -> PathBuf {
        self.advisory_db
            .clone()
            .unwrap_or_else(|| data_dir.join("advisories.redb"))
    }

    /// The layer cache under `data_dir` unless configured.
    pub fn layer_cache_dir(&self, data_dir: &Path) -> PathBuf {
        self.layer_cache
            .clone()
            .unwrap_or_else(|| data_dir.join("layer-cache"))
    }

    /// The insecure registries, parsed.
    pub fn insecure_hosts(&self) -> anyhow::Result<Vec<RegistryHost>> {
        self.insecure_registries
            .iter()
            .map(|host| {
                host.parse()
                    .with_context(|| format!("service.insecure_registries: {host:?}"))
            })
            .collect()
    }

    /// The configured logins as a credential provider.
    pub fn logins(&self) -> anyhow::Result<StaticCredentials> {
        let mut provider = StaticCredentials::anonymous();
        for login in &self.registries {
            let host: RegistryHost = login
                .host
                .parse()
                .with_context(|| format!("service.registries: host {:?}", login.host))?;
            let credentials =
                Credentials::basic(login.username.clone(), login.password.expose_secret());
            provider = provider.with(host, credentials);
        }
        Ok(provider)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_consistent() {
        Settings::default().check().unwrap();
    }

    #[test]
    fn a_timeout_beyond_the_ack_wait_is_refused_with_the_keys_named() {
        let settings = Settings {
            scan_timeout: Duration::from_secs(600),
            ack_wait: Duration::from_secs(300),
            ..Settings::default()
        };
        let error = settings.check().unwrap_err().to_string();
        assert!(error.starts_with("service.scan_timeout"), "{error}");
    }

    #[test]
    fn logins_become_credentials_without_printing_the_password() {
        let settings = Settings {
            registries: vec![RegistryLogin {
                host: "registry.lan:5000".into(),
                username: "ci".into(),
                password: "hunter2".to_owned().into(),
            }],
            ..Settings::default()
        };
        let provider = settings.logins().unwrap();
        assert!(!format!("{settings:?}{provider:?}").contains("hunter2"));
    }
}
