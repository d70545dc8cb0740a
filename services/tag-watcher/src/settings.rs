//! The service's own settings, under `[service]` in its config file (or
//! `TAGWARDEN_SERVICE__…` in the environment).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tagwarden_registry::{
    ClientConfig, Credentials, RegistryClient, RegistryHost, StaticCredentials,
};
use tagwarden_runtime::config::seconds;

use crate::notify::NotificationSettings;

/// Settings of this service alone.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Seconds between poll cycles; 0 turns polling off (cycles then run
    /// only when asked, as tests do).
    #[serde(deserialize_with = "seconds")]
    pub poll_interval: Duration,
    /// Up to this many seconds are added at random to each wait, so
    /// watchers do not poll registries in step.
    #[serde(deserialize_with = "seconds")]
    pub poll_jitter: Duration,
    /// Requests in flight at once to one registry host.
    pub registry_concurrency: usize,
    /// Repositories refreshed at once in a cycle (across registries).
    pub cycle_concurrency: usize,
    /// Attempts per registry request (429, 5xx and connection failures are
    /// retried with growing delays and `Retry-After`).
    pub registry_attempts: u32,
    /// Seconds a registry is left alone after its retries ran out; doubles
    /// while it keeps failing, up to 16 times this.
    #[serde(deserialize_with = "seconds")]
    pub registry_backoff: Duration,
    /// Registries reached over plain HTTP although not on loopback.
    pub insecure_registries: Vec<String>,
    /// Static credentials per registry host; other hosts are anonymous.
    pub registries: Vec<RegistryLogin>,
    /// The push notification endpoint.
    pub notifications: NotificationSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(300),
            poll_jitter: Duration::from_secs(30),
            registry_concurrency: 8,
            cycle_concurrency: 32,
            registry_attempts: 5,
            registry_backoff: Duration::from_secs(15),
            insecure_registries: Vec::new(),
            registries: Vec::new(),
            notifications: NotificationSettings::default(),
        }
    }
}

/// Basic-auth credentials for one registry, under `[[service.registries]]`.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistryLogin {
    /// The registry host as targets name it, e.g. `registry.example.com`.
    pub host: String,
    /// The user name.
    pub username: String,
    /// The password or access token; never logged.
    pub password: SecretString,
}

impl Settings {
    /// The registry client these settings describe.
    pub(crate) fn registry_client(&self) -> anyhow::Result<RegistryClient> {
        let insecure_registries = self
            .insecure_registries
            .iter()
            .map(|host| host.parse::<RegistryHost>())
            .collect::<Result<_, _>>()
            .context("invalid host in service.insecure_registries")?;
        let mut credentials = StaticCredentials::anonymous();
        for login in &self.registries {
            let host: RegistryHost = login
                .host
                .parse()
                .context("invalid host in service.registries")?;
            let basic = Credentials::basic(&login.username, login.password.expose_secret());
            credentials = credentials.with(host, basic);
        }
        let mut config = ClientConfig {
            insecure_registries,
            ..ClientConfig::default()
        };
        config.retry.max_attempts = self.registry_attempts.max(1);
        RegistryClient::new(config, Arc::new(credentials))
            .context("failed to build the registry client")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Format;

    #[test]
    fn reads_polling_credentials_and_sources() {
        let toml = r#"
            poll_interval = 60
            [[registries]]
            host = "registry.example.com"
            username = "ci"
            password = "hunter2"
            [notifications]
            listen = "127.0.0.1:50063"
            [[notifications.sources]]
            name = "local"
            format = "distribution"
            secret = "Bearer s3cret"
        "#;
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(toml, config::FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        assert_eq!(settings.poll_interval, Duration::from_secs(60));
        assert_eq!(settings.poll_jitter, Duration::from_secs(30));
        assert_eq!(
            settings.notifications.sources[0].format,
            Format::Distribution
        );
        assert_eq!(settings.notifications.sources[0].header, "Authorization");
        assert!(!format!("{settings:?}").contains("hunter2"));
        assert!(!format!("{settings:?}").contains("s3cret"));
        assert!(settings.registry_client().is_ok());
    }
}
