//! `tagwardenctl`, the operator tool: talks to the services' gRPC APIs.

mod status;

use clap::{Parser, Subcommand};

/// Operate a Tagwarden deployment.
#[derive(Debug, Parser)]
#[command(name = "tagwardenctl", version, about)]
struct Cli {
    #[command(flatten)]
    endpoints: Endpoints,
    #[command(subcommand)]
    command: Command,
}

/// Where each service's API listens (defaults match a local run).
#[derive(Debug, clap::Args)]
struct Endpoints {
    /// Discovery API.
    #[arg(
        long,
        env = "TAGWARDEN_DISCOVERY_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    discovery: String,
    /// Licensing API.
    #[arg(
        long,
        env = "TAGWARDEN_LICENSING_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    licensing: String,
    /// Tag watcher API.
    #[arg(
        long,
        env = "TAGWARDEN_TAG_WATCHER_URL",
        default_value = "http://127.0.0.1:50053"
    )]
    tag_watcher: String,
    /// Scheduler API.
    #[arg(
        long,
        env = "TAGWARDEN_SCHEDULER_URL",
        default_value = "http://127.0.0.1:50054"
    )]
    scheduler: String,
    /// Scanner API.
    #[arg(
        long,
        env = "TAGWARDEN_SCANNER_URL",
        default_value = "http://127.0.0.1:50055"
    )]
    scanner: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show whether each service is up (gRPC health).
    Status,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tagwarden_runtime::install_crypto_provider();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Status => status::run(&cli.endpoints).await,
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
