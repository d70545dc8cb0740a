//! `tagwardenctl images list`: the discovery table, one row per image tag
//! in every connected registry, and whether a target covers it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tagwarden_proto::discovery::v1::{ImageRow, ListImagesRequest};

use crate::client::Clients;
use crate::output::{self, Format, Row};
use crate::paging::{self, Limit};

/// Images the connected registries hold (discovery).
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
    /// The discovery table, most recently pushed first.
    List(ListArgs),
}

#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct ListArgs {
    /// Only images that a target covers.
    #[arg(long)]
    pub(crate) targets_only: bool,
    /// Only rows whose `registry/repository` or tag contains this
    /// (case-insensitive).
    #[arg(long)]
    pub(crate) search: Option<String>,
    /// Only images of this integration (its id).
    #[arg(long)]
    pub(crate) integration: Option<String>,
    /// Oldest pushes first.
    #[arg(long)]
    pub(crate) oldest_first: bool,
    #[command(flatten)]
    pub(crate) limit: Limit,
}

pub(crate) async fn run(args: Args, clients: &Clients) -> anyhow::Result<()> {
    let Command::List(list) = args.command;
    let discovery = clients.discovery().await?;
    let collected = paging::collect(list.limit.limit, |page_token, page_size| {
        let mut discovery = discovery.clone();
        let request = ListImagesRequest {
            targets_only: list.targets_only,
            search: list.search.clone().unwrap_or_default(),
            page_size,
            page_token,
            oldest_first: list.oldest_first,
            integration_id: list.integration.clone().unwrap_or_default(),
        };
        async move {
            let page = discovery.list_images(request).await?.into_inner();
            Ok((page.images, page.next_page_token))
        }
    })
    .await?;
    let views: Vec<ImageView> = collected.items.into_iter().map(ImageView::from).collect();
    output::show(&views, args.output)?;
    if collected.more {
        eprintln!("{}", paging::more_note(views.len()));
    }
    Ok(())
}

/// A row of the discovery table.
#[derive(Debug, Serialize)]
pub(crate) struct ImageView {
    pub(crate) repository: String,
    pub(crate) account: String,
    pub(crate) account_name: String,
    pub(crate) registry: String,
    pub(crate) tag: String,
    pub(crate) digest: String,
    pub(crate) pushed_at: Option<DateTime<Utc>>,
    pub(crate) pushed_at_from_config: bool,
    pub(crate) covered_by_target: bool,
    pub(crate) untagged: bool,
    pub(crate) integration_id: String,
    pub(crate) provider: String,
    pub(crate) media_type: String,
}

impl From<ImageRow> for ImageView {
    fn from(row: ImageRow) -> Self {
        Self {
            pushed_at: output::time(row.pushed_at.as_ref()),
            repository: row.repository,
            account: row.account,
            account_name: row.account_name,
            registry: row.registry,
            tag: row.tag,
            digest: row.digest,
            pushed_at_from_config: row.pushed_at_from_config,
            covered_by_target: row.covered_by_target,
            untagged: row.untagged,
            integration_id: row.integration_id,
            provider: row.provider,
            media_type: row.media_type,
        }
    }
}

impl Row for ImageView {
    const HEADER: &'static [&'static str] = &[
        "IMAGE",
        "ACCOUNT",
        "REGISTRY",
        "TAG",
        "LAST PUSHED",
        "TARGET",
    ];

    fn cells(&self) -> Vec<String> {
        // The operator's name for the account reads better than a cloud
        // account number; plain registries have only the name.
        let account = match (self.account_name.as_str(), self.account.as_str()) {
            ("", account) => output::or_dash(account),
            (name, "") => name.to_owned(),
            (name, account) if name == account => name.to_owned(),
            (name, account) => format!("{name} ({account})"),
        };
        let tag = if self.untagged || self.tag.is_empty() {
            "<untagged>".to_owned()
        } else {
            self.tag.clone()
        };
        // A registry that records no push time leaves the image's build
        // time in its place; say so rather than pass one for the other.
        let mut pushed = output::when(self.pushed_at);
        if self.pushed_at_from_config && self.pushed_at.is_some() {
            pushed.push_str(" (built)");
        }
        let covered = if self.covered_by_target { "yes" } else { "no" };
        vec![
            self.repository.clone(),
            account,
            self.registry.clone(),
            tag,
            pushed,
            covered.to_owned(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tag: &str, covered: bool) -> ImageRow {
        ImageRow {
            repository: "acme/app".into(),
            account: "123456789012".into(),
            registry: "127.0.0.1:5000".into(),
            tag: tag.into(),
            digest: "sha256:aa".into(),
            pushed_at: Some(prost_types::Timestamp {
                seconds: 1_772_366_400,
                nanos: 0,
            }),
            covered_by_target: covered,
            integration_id: "i-1".into(),
            provider: "ecr".into(),
            account_name: "prod".into(),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            pushed_at_from_config: false,
            untagged: tag.is_empty(),
        }
    }

    #[test]
    fn the_table_has_the_discovery_columns() {
        let built = ImageRow {
            pushed_at_from_config: true,
            account_name: String::new(),
            ..row("v1", false)
        };
        let views: Vec<_> = [row("latest", true), built, row("", false)]
            .into_iter()
            .map(ImageView::from)
            .collect();
        assert_eq!(
            output::render(&views, Format::Table).unwrap(),
            "IMAGE     ACCOUNT              REGISTRY        TAG         \
             LAST PUSHED                      TARGET\n\
             acme/app  prod (123456789012)  127.0.0.1:5000  latest      \
             2026-03-01 12:00:00 UTC          yes\n\
             acme/app  123456789012         127.0.0.1:5000  v1          \
             2026-03-01 12:00:00 UTC (built)  no\n\
             acme/app  prod (123456789012)  127.0.0.1:5000  <untagged>  \
             2026-03-01 12:00:00 UTC          no\n"
        );
    }

    #[test]
    fn json_has_every_field_of_the_row() {
        let views = vec![ImageView::from(row("latest", true))];
        let value: serde_json::Value =
            serde_json::from_str(&output::render(&views, Format::Json).unwrap()).unwrap();
        assert_eq!(value[0]["covered_by_target"], true);
        assert_eq!(value[0]["pushed_at"], "2026-03-01T12:00:00Z");
        assert_eq!(value[0]["digest"], "sha256:aa");
        assert_eq!(value[0].as_object().unwrap().len(), 13);
    }
}
