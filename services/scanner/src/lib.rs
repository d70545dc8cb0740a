//! Scanner: runs the scanning engine for each requested scan and keeps the issues it finds.

pub mod issues;
mod store;

use serde::Deserialize;
use tagwarden_runtime::{Service, ServiceConfig};
use tokio_util::sync::CancellationToken;

/// The service's name in logs, event envelopes and its SQLite file name.
pub const SERVICE: &str = "scanner";

/// The gRPC port when `grpc.listen` is not set.
pub const DEFAULT_PORT: u16 = 50055;

/// Settings of this service alone, under `[service]` in its config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {}

/// The service's whole config.
pub type Config = ServiceConfig<Settings>;

/// Runs the service until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let service =
        Service::start::<store::Migrator, _>(SERVICE, DEFAULT_PORT, &config, shutdown).await?;
    service.run().await
}
