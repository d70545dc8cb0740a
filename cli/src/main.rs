//! `tagwardenctl`, the operator tool: talks to the services' gRPC APIs.

mod client;
mod images;
mod integrations;
mod issues;
mod licences;
mod output;
mod paging;
mod scan;
mod scans;
mod status;
mod targets;
mod vulndb;
mod vulndb_remote;
mod when;

#[cfg(test)]
mod cli_tests;

use clap::{Parser, Subcommand};

/// Operate a Tagwarden deployment.
#[derive(Debug, Parser)]
#[command(name = "tagwardenctl", version, about)]
struct Cli {
    #[command(flatten)]
    endpoints: Endpoints,
    #[command(flatten)]
    access: client::Access,
    #[command(subcommand)]
    command: Command,
}

/// Where each service's API listens. Unset here means the config file's
/// value, else the port of a local run on 127.0.0.1 (50051 to 50055).
#[derive(Debug, clap::Args)]
struct Endpoints {
    /// Discovery API [default: http://127.0.0.1:50051].
    #[arg(long, env = "TAGWARDEN_DISCOVERY_URL", value_name = "URL")]
    discovery: Option<String>,
    /// Licensing API [default: http://127.0.0.1:50052].
    #[arg(long, env = "TAGWARDEN_LICENSING_URL", value_name = "URL")]
    licensing: Option<String>,
    /// Tag watcher API [default: http://127.0.0.1:50053].
    #[arg(long, env = "TAGWARDEN_TAG_WATCHER_URL", value_name = "URL")]
    tag_watcher: Option<String>,
    /// Scheduler API [default: http://127.0.0.1:50054].
    #[arg(long, env = "TAGWARDEN_SCHEDULER_URL", value_name = "URL")]
    scheduler: Option<String>,
    /// Scanner API [default: http://127.0.0.1:50055].
    #[arg(long, env = "TAGWARDEN_SCANNER_URL", value_name = "URL")]
    scanner: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show whether each service is up (gRPC health).
    Status(status::Args),
    /// Scan an image here, without any service: list its packages, or
    /// report its vulnerabilities with `--db PATH`.
    Scan(scan::ScanArgs),
    /// The advisory database: a local file with `--db PATH` (for pipeline
    /// scans), else the scanner service's.
    Vulndb(vulndb::Args),
    #[command(flatten)]
    Operate(Operate),
}

/// The commands that call a service's API with the token.
#[derive(Debug, PartialEq, Subcommand)]
enum Operate {
    #[command(alias = "integration")]
    Integrations(integrations::Args),
    #[command(alias = "image")]
    Images(images::Args),
    #[command(alias = "target")]
    Targets(targets::Args),
    Scans(scans::Args),
    #[command(alias = "issue")]
    Issues(issues::Args),
    #[command(alias = "licenses")]
    Licences(licences::Args),
}

/// Runs one API command; a service's refusal comes back as its `Status`.
async fn operate(
    command: Operate,
    endpoints: &Endpoints,
    access: &client::Access,
) -> anyhow::Result<std::process::ExitCode> {
    let clients = client::Clients::new(endpoints, access)?;
    match command {
        Operate::Integrations(args) => integrations::run(args, &clients).await?,
        Operate::Images(args) => images::run(args, &clients).await?,
        Operate::Targets(args) => targets::run(args, &clients).await?,
        Operate::Scans(args) => scans::run(args, &clients).await?,
        Operate::Issues(args) => issues::run(args, &clients).await?,
        Operate::Licences(args) => licences::run(&args, &clients).await?,
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tagwarden_runtime::install_crypto_provider();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Status(args) => status::run(&args, &cli.endpoints, &cli.access).await,
        Command::Scan(args) => scan::run(args).await,
        Command::Vulndb(args) => vulndb::run(args, &cli.endpoints, &cli.access).await,
        Command::Operate(command) => operate(command, &cli.endpoints, &cli.access).await,
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", output::error_line(&err));
            std::process::ExitCode::FAILURE
        }
    }
}
