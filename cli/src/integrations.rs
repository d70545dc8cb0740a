//! `tagwardenctl integrations`: the cloud accounts and registries that
//! discovery lists images from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tagwarden_proto::discovery::v1::{
    AddIntegrationRequest, Integration, ListIntegrationsRequest, RefreshRequest,
    RemoveIntegrationRequest, SyncResult,
};
use tonic::Status;

use crate::client::Clients;
use crate::output::{self, Format, Render, Row};

/// Connected registries (discovery).
#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Table or JSON.
    #[arg(long, short, value_enum, default_value_t, global = true)]
    pub(crate) output: Format,
}

#[derive(Debug, PartialEq, clap::Subcommand)]
pub(crate) enum Command {
    /// Connect a registry; its images are listed on the next sync.
    Add {
        /// What to call it (shown as the account of its images).
        name: String,
        /// Which kind of registry.
        #[arg(long, value_parser = ["oci", "ecr", "acr", "artifact-registry"])]
        provider: String,
        /// Registry host, e.g. `ghcr.io` or `127.0.0.1:5000`. Required for
        /// `oci` and `acr`; `ecr` and `artifact-registry` derive it
        /// (`{registry_id}.dkr.ecr.{region}.amazonaws.com`,
        /// `{location}-docker.pkg.dev`) when it is not given.
        #[arg(long, required_if_eq_any = [("provider", "oci"), ("provider", "acr")])]
        registry: Option<String>,
        /// A provider setting `KEY=VALUE` (region, project, repositories…);
        /// repeat for more. Never a secret.
        #[arg(long = "setting", value_name = "KEY=VALUE", value_parser = key_value)]
        settings: Vec<(String, String)>,
        /// Name of a credential in the discovery service's config.
        #[arg(long)]
        credential_ref: Option<String>,
    },
    /// List integrations and their last sync.
    List,
    /// Disconnect an integration.
    Remove {
        /// Its id or name.
        integration: String,
    },
    /// Sync an integration now instead of at the next interval.
    Refresh {
        /// Its id or name.
        integration: String,
    },
}

/// `KEY=VALUE`, split at the first `=`.
pub(crate) fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

type Discovery =
    tagwarden_proto::discovery::v1::discovery_client::DiscoveryClient<crate::client::Authed>;

pub(crate) async fn run(args: Args, clients: &Clients) -> anyhow::Result<()> {
    let mut discovery = clients.discovery().await?;
    match args.command {
        Command::Add {
            name,
            provider,
            registry,
            settings,
            credential_ref,
        } => {
            let request = AddIntegrationRequest {
                name,
                provider,
                registry: registry.unwrap_or_default(),
                settings: settings.into_iter().collect(),
                credential_ref: credential_ref.unwrap_or_default(),
            };
            let added = discovery.add_integration(request).await?.into_inner();
            output::show(&vec![IntegrationView::from(added)], args.output)
        }
        Command::List => {
            let listed = list(&mut discovery).await?;
            let views: Vec<_> = listed.into_iter().map(IntegrationView::from).collect();
            output::show(&views, args.output)
        }
        Command::Remove { integration } => {
            let id = resolve(&mut discovery, &integration).await?;
            let request = RemoveIntegrationRequest { id: id.clone() };
            discovery.remove_integration(request).await?;
            let view = Removed { id };
            output::show(&view, args.output)
        }
        Command::Refresh { integration } => {
            let id = resolve(&mut discovery, &integration).await?;
            let request = RefreshRequest {
                integration_id: id.clone(),
            };
            let result = SyncView::from(discovery.refresh(request).await?.into_inner());
            if result.ok || args.output == Format::Json {
                output::show(&result, args.output)?;
            }
            anyhow::ensure!(result.ok, "sync of {integration} failed: {}", result.error);
            Ok(())
        }
    }
}

async fn list(discovery: &mut Discovery) -> Result<Vec<Integration>, Status> {
    let request = ListIntegrationsRequest {};
    Ok(discovery
        .list_integrations(request)
        .await?
        .into_inner()
        .integrations)
}

/// The id of the integration with id or name `key`.
async fn resolve(discovery: &mut Discovery, key: &str) -> Result<String, Status> {
    let all = list(discovery).await?;
    all.iter()
        .find(|i| i.id == key)
        .or_else(|| all.iter().find(|i| i.name == key))
        .map(|i| i.id.clone())
        .ok_or_else(|| Status::not_found(format!("no integration has the id or name {key:?}")))
}

/// An integration as shown.
#[derive(Debug, Serialize)]
pub(crate) struct IntegrationView {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) registry: String,
    pub(crate) settings: BTreeMap<String, String>,
    pub(crate) credential_ref: String,
    pub(crate) last_sync: Option<SyncView>,
}

impl From<Integration> for IntegrationView {
    fn from(integration: Integration) -> Self {
        Self {
            id: integration.id,
            name: integration.name,
            provider: integration.provider,
            account: integration.account,
            registry: integration.registry,
            settings: integration.settings.into_iter().collect(),
            credential_ref: integration.credential_ref,
            last_sync: integration.last_sync.map(SyncView::from),
        }
    }
}

impl Row for IntegrationView {
    const HEADER: &'static [&'static str] = &[
        "ID",
        "NAME",
        "PROVIDER",
        "ACCOUNT",
        "REGISTRY",
        "LAST SYNC",
        "RESULT",
        "REPOS",
        "TAGS",
    ];

    fn cells(&self) -> Vec<String> {
        let sync = self.last_sync.as_ref();
        let result = sync.map_or_else(output::dash, |sync| {
            if sync.ok {
                "ok".to_owned()
            } else {
                format!("failed: {}", sync.error)
            }
        });
        let count = |n: fn(&SyncView) -> u32| sync.map_or_else(output::dash, |s| n(s).to_string());
        vec![
            self.id.clone(),
            self.name.clone(),
            self.provider.clone(),
            output::or_dash(&self.account),
            output::or_dash(&self.registry),
            output::when(sync.and_then(|sync| sync.finished_at.or(sync.started_at))),
            result,
            count(|s| s.repositories),
            count(|s| s.tags),
        ]
    }
}

/// One sync of an integration.
#[derive(Debug, Serialize)]
pub(crate) struct SyncView {
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    pub(crate) ok: bool,
    pub(crate) error: String,
    pub(crate) repositories: u32,
    pub(crate) tags: u32,
    pub(crate) discovered: u32,
    pub(crate) removed: u32,
}

impl From<SyncResult> for SyncView {
    fn from(sync: SyncResult) -> Self {
        Self {
            started_at: output::time(sync.started_at.as_ref()),
            finished_at: output::time(sync.finished_at.as_ref()),
            ok: sync.ok,
            error: sync.error,
            repositories: sync.repositories,
            tags: sync.tags,
            discovered: sync.discovered,
            removed: sync.removed,
        }
    }
}

impl Render for SyncView {
    fn table(&self) -> String {
        let took = match (self.started_at, self.finished_at) {
            (Some(start), Some(end)) => {
                let millis = (end - start).num_milliseconds().max(0);
                format!(" in {}.{:03} s", millis / 1000, millis % 1000)
            }
            _ => String::new(),
        };
        format!(
            "synced {} repositories, {} tags{took}; {} images announced, {} removed\n",
            self.repositories, self.tags, self.discovered, self.removed
        )
    }
}

/// What `integrations remove` answers.
#[derive(Debug, Serialize)]
pub(crate) struct Removed {
    pub(crate) id: String,
}

impl Render for Removed {
    fn table(&self) -> String {
        format!("removed integration {}\n", self.id)
    }
}

#[cfg(test)]
mod tests;
