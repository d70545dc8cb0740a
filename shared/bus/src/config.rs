//! How to reach NATS, and how hard to retry a failing handler.

use std::time::Duration;

use serde::Deserialize;

/// Connection settings for the bus.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct BusConfig {
    /// NATS server URL, or several separated by commas for a cluster.
    pub url: String,
    /// Prefix for every subject and stream name. Empty in production; tests
    /// set a unique one so each works on streams of its own.
    pub namespace: String,
    /// Stream replicas: 1 for a single server, 3 for a three-node cluster.
    pub replicas: usize,
    /// Path to a NATS credentials file, when the server requires one.
    pub credentials_file: Option<String>,
    /// Name this connection reports to the server (shown in monitoring).
    pub connection_name: Option<String>,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".to_owned(),
            namespace: String::new(),
            replicas: 1,
            credentials_file: None,
            connection_name: None,
        }
    }
}

/// What a consumer does when a handler fails.
///
/// Failed deliveries are `nak`ed with a delay that doubles from `base_delay`
/// up to `max_delay`. After `max_deliveries` attempts the message goes to the
/// dead-letter subject with the last error, so it is kept for an operator
/// instead of being retried forever or dropped.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Delay before the second delivery.
    #[serde(with = "secs")]
    pub base_delay: Duration,
    /// Upper bound of the delay between deliveries.
    #[serde(with = "secs")]
    pub max_delay: Duration,
    /// Deliveries before a message is dead-lettered (at least 1).
    pub max_deliveries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_deliveries: 8,
        }
    }
}

impl RetryPolicy {
    /// Delay before redelivering a message that has failed `delivered` times.
    pub fn delay_after(&self, delivered: u32) -> Duration {
        let exponent = delivered.saturating_sub(1).min(20);
        self.base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay)
    }
}

/// Durations in config files are whole or fractional seconds.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(de)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
            max_deliveries: 10,
        };
        let delays: Vec<_> = (1..=6).map(|n| policy.delay_after(n).as_millis()).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(policy.delay_after(u32::MAX), Duration::from_secs(5));
    }
}
