//! Load scenarios against real infrastructure on this machine. Each prints
//! its figures; the README records what they measured.

// Printing the figures is what this binary is for.
#![allow(clippy::print_stdout)]

mod bus;
mod discovery;
mod tag_watcher;

use clap::{Parser, Subcommand};

/// Tagwarden load scenarios.
#[derive(Debug, Parser)]
#[command(name = "tagwarden-loadtest", about)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Publish N events and consume them through a durable consumer.
    Bus(bus::Args),
    /// Sync a fake registry of repositories × tags through the discovery service.
    Discovery(discovery::Args),
    /// Poll cycles of the tag watcher over many targets on a stand-in registry.
    TagWatcher(tag_watcher::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tagwarden_runtime::install_crypto_provider();
    match Cli::parse().scenario {
        Scenario::Bus(args) => bus::run(args).await,
        Scenario::Discovery(args) => discovery::run(args).await,
        Scenario::TagWatcher(args) => tag_watcher::run(args).await,
    }
}
