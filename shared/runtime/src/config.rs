//! Layered configuration: built-in defaults, then an optional TOML file,
//! then `TAGWARDEN_` environment variables, each overriding the one before.
//!
//! Nested keys use a double underscore in the environment:
//! `TAGWARDEN_NATS__URL` sets `nats.url`, `TAGWARDEN_SERVICE__POOL_SIZE`
//! sets `service.pool_size`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tagwarden_bus::BusConfig;
use thiserror::Error;

use crate::db::DatabaseConfig;
use crate::grpc::GrpcConfig;
use crate::telemetry::TelemetryConfig;

/// The environment prefix for every setting.
pub const ENV_PREFIX: &str = "TAGWARDEN";

/// Config shared by every service, with the service's own settings under
/// `[service]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServiceConfig<S> {
    /// Where the service keeps local files (its SQLite database by default).
    pub data_dir: PathBuf,
    /// The service's own datastore.
    pub database: DatabaseConfig,
    /// The NATS JetStream connection.
    pub nats: BusConfig,
    /// The gRPC API.
    pub grpc: GrpcConfig,
    /// Logs and traces.
    pub telemetry: TelemetryConfig,
    /// How long in-flight work may take to finish after SIGTERM, in seconds.
    #[serde(deserialize_with = "seconds")]
    pub shutdown_grace: Duration,
    /// Settings of this service alone.
    pub service: S,
}

impl<S: Default> Default for ServiceConfig<S> {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".data"),
            database: DatabaseConfig::default(),
            nats: BusConfig::default(),
            grpc: GrpcConfig::default(),
            telemetry: TelemetryConfig::default(),
            shutdown_grace: Duration::from_secs(30),
            service: S::default(),
        }
    }
}

/// Loading config failed.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The named file does not exist.
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    /// A value has the wrong shape or type.
    #[error("invalid configuration: {0}")]
    Invalid(#[from] config::ConfigError),
}

/// Loads config from defaults, the optional file and the process
/// environment.
pub fn load_config<T: DeserializeOwned>(file: Option<&Path>) -> Result<T, ConfigError> {
    load_from(file, None)
}

/// Like [`load_config`], with the environment given as a map instead of read
/// from the process, so tests do not race on process-wide variables.
pub fn load_from<T: DeserializeOwned>(
    file: Option<&Path>,
    env: Option<HashMap<String, String>>,
) -> Result<T, ConfigError> {
    let mut builder = config::Config::builder();
    if let Some(path) = file {
        if !path.exists() {
            return Err(ConfigError::MissingFile(path.to_owned()));
        }
        builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
    }
    // Values stay strings here and are parsed into the target type during
    // deserialization; parsing them early would turn a token like "0123"
    // into the number 123.
    let environment = config::Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("_")
        .separator("__")
        .try_parsing(false)
        .source(env);
    Ok(builder.add_source(environment).build()?.try_deserialize()?)
}

/// Durations are written as seconds (`30`, `0.5`, or `"30"` from the
/// environment).
pub fn seconds<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }
    let secs = match Raw::deserialize(de)? {
        Raw::Number(n) => n,
        Raw::Text(text) => text.trim().parse().map_err(|_| {
            serde::de::Error::custom(format!("expected a number of seconds, got {text:?}"))
        })?,
    };
    Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use secrecy::ExposeSecret;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(default)]
    struct Example {
        pool_size: u32,
        label: String,
        interval: f64,
    }

    impl Default for Example {
        fn default() -> Self {
            Self {
                pool_size: 10,
                label: "default".into(),
                interval: 1.5,
            }
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        writeln!(
            file,
            "shutdown_grace = 5\n[service]\npool_size = 20\nlabel = \"file\"\n\
             [nats]\nurl = \"nats://file:4222\"\n[grpc]\nlisten = \"127.0.0.1:7000\""
        )
        .unwrap();
        let env = env(&[
            ("TAGWARDEN_SERVICE__LABEL", "env"),
            ("TAGWARDEN_GRPC__TOKEN", "0123"),
            ("TAGWARDEN_NATS__REPLICAS", "3"),
        ]);

        let config: ServiceConfig<Example> = load_from(Some(file.path()), env).unwrap();

        // Default kept, file over default, environment over file.
        assert_eq!(
            config.service,
            Example {
                pool_size: 20,
                label: "env".into(),
                interval: 1.5
            }
        );
        assert_eq!(config.nats.url, "nats://file:4222");
        assert_eq!(config.nats.replicas, 3);
        assert_eq!(config.grpc.listen, Some("127.0.0.1:7000".parse().unwrap()));
        assert_eq!(config.grpc.token.as_ref().unwrap().expose_secret(), "0123");
        assert_eq!(config.shutdown_grace, Duration::from_secs(5));
        assert_eq!(config.data_dir, PathBuf::from(".data"));
    }

    #[test]
    fn nothing_given_means_defaults() {
        let config: ServiceConfig<Example> = load_from(None, env(&[])).unwrap();
        assert_eq!(config.service, Example::default());
        assert_eq!(config.nats.url, "nats://127.0.0.1:4222");
        assert!(config.grpc.token.is_none());
        assert_eq!(config.shutdown_grace, Duration::from_secs(30));
    }

    #[test]
    fn a_wrong_type_names_the_key() {
        let err = load_from::<ServiceConfig<Example>>(
            None,
            env(&[("TAGWARDEN_SERVICE__POOL_SIZE", "many")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("pool_size"), "{err}");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let err = load_from::<ServiceConfig<Example>>(Some(Path::new("/nonexistent.toml")), None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "config file /nonexistent.toml does not exist"
        );
    }
}
