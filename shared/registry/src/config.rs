//! Client settings: which registries may use plain HTTP, retries, paging.

use std::time::Duration;

use crate::host::RegistryHost;

/// How a [`RegistryClient`](crate::RegistryClient) behaves.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Registries reached over plain HTTP although they are not on loopback
    /// (Docker's `insecure-registries`). Loopback registries always use
    /// plain HTTP and need no entry here.
    pub insecure_registries: Vec<RegistryHost>,
    /// Retries on 429, 5xx and connection failures.
    pub retry: RetryPolicy,
    /// Page size asked for when listing tags and the catalog. Registries
    /// may send smaller pages; the `Link` header is followed either way.
    pub page_size: u32,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed between two reads of a response; a stalled layer
    /// download fails after this instead of hanging.
    pub read_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            insecure_registries: Vec::new(),
            retry: RetryPolicy::default(),
            page_size: 1000,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
        }
    }
}

impl ClientConfig {
    /// Whether requests to `host` go over plain HTTP.
    pub(crate) fn plain_http(&self, host: &RegistryHost) -> bool {
        host.is_loopback() || self.insecure_registries.contains(host)
    }

    /// `http` or `https` for `host`.
    pub(crate) fn scheme(&self, host: &RegistryHost) -> &'static str {
        if self.plain_http(host) {
            "http"
        } else {
            "https"
        }
    }
}

/// Exponential backoff with jitter between attempts; a `Retry-After` sent
/// by the registry is honoured when it asks for a longer wait.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in total, the first included. At least 1.
    pub max_attempts: u32,
    /// Delay before the second attempt; each later delay doubles.
    pub first_delay: Duration,
    /// Upper bound of the growing delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` we wait for. A registry asking for longer
    /// gets an immediate "unavailable" error instead of a stuck scan.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_listed_hosts_use_plain_http() {
        let listed: RegistryHost = "registry.lan:5000".parse().unwrap();
        let config = ClientConfig {
            insecure_registries: vec![listed.clone()],
            ..Default::default()
        };
        assert_eq!(config.scheme(&"127.0.0.1:5000".parse().unwrap()), "http");
        assert_eq!(config.scheme(&listed), "http");
        assert_eq!(config.scheme(&"ghcr.io".parse().unwrap()), "https");
    }
}
