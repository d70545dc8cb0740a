//! What every Tagwarden service needs besides its own logic: typed layered
//! config, tracing (optionally exported over OTLP), its own database with
//! migrations applied, a gRPC server with health and bearer-token auth, and
//! a graceful shutdown on SIGTERM/SIGINT.
//!
//! A service's `main.rs` reads like the list above, and its `lib.rs` gets a
//! ready connection, bus and server instead of building them.

pub mod auth;
pub mod config;
pub mod db;
pub mod grpc;
pub mod service;
pub mod shutdown;
pub mod telemetry;
pub mod testing;

pub use config::{ServiceConfig, load_config};
pub use service::Service;

/// Installs the process-wide TLS crypto provider.
///
/// Two rustls providers end up compiled in (`ring` through some crates,
/// `aws-lc-rs` through others), and rustls then refuses to pick one itself:
/// any TLS connection (NATS, a registry, PostgreSQL) would panic. Every
/// binary calls this first. Calling it twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The command line every service binary accepts.
#[derive(Debug, clap::Parser)]
pub struct ServiceArgs {
    /// Config file (TOML). Environment variables with the `TAGWARDEN_`
    /// prefix override it, e.g. `TAGWARDEN_GRPC__LISTEN=0.0.0.0:50051`.
    #[arg(long, short, env = "TAGWARDEN_CONFIG")]
    pub config: Option<std::path::PathBuf>,
}
