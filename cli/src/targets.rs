//! `tagwardenctl targets`: what is watched. A target is an image plus one
//! tag rule and holds one licence seat (licensing service).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tagwarden_proto::licensing::v1::{
    AddTargetsRequest, DeleteTargetRequest, ListTargetsRequest, Target,
};
use tonic::Status;

use crate::client::Clients;
use crate::output::{self, Format, Render, Row};

/// Targets: an image and a tag rule, each holding one licence seat.
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
    /// Watch an image: one target per tag rule, all or none.
    Add {
        /// `registry/repository`, or `repository` when one registry has it.
        image: String,
        /// A tag rule: `latest`, `v*`, `production-*`; repeat for more.
        #[arg(long = "rule", short = 'r', value_name = "RULE", required = true)]
        rules: Vec<String>,
    },
    /// Add tag rules to an image that already has targets.
    AddRule {
        /// A target's id or name (`repository:rule`), or its image.
        target_or_image: String,
        /// A tag rule; repeat for more.
        #[arg(long = "rule", short = 'r', value_name = "RULE", required = true)]
        rules: Vec<String>,
    },
    /// List targets, oldest first.
    List {
        /// Only the targets of this image.
        #[arg(long)]
        image: Option<String>,
        /// Also deleted targets (their history is kept).
        #[arg(long)]
        include_deleted: bool,
    },
    /// Stop watching: scans stop, history stays, the seat is locked a while.
    Delete {
        /// The target's id.
        id: String,
    },
}

pub(crate) async fn run(args: Args, clients: &Clients) -> anyhow::Result<()> {
    let mut licensing = clients.licensing().await?;
    match args.command {
        Command::Add { image, rules } => {
            let request = AddTargetsRequest { image, rules };
            let added = licensing.add_targets(request).await?.into_inner().targets;
            output::show(&views(added), args.output)
        }
        Command::AddRule {
            target_or_image,
            rules,
        } => {
            let all = list(&mut licensing, String::new(), false).await?;
            let image = match pick_image(&all, &target_or_image) {
                Pick::Image(image) => image,
                Pick::Ambiguous(images) => return Err(ambiguous(&target_or_image, &images).into()),
                Pick::Nothing => return Err(nothing(&target_or_image).into()),
            };
            let request = AddTargetsRequest { image, rules };
            let added = licensing.add_targets(request).await?.into_inner().targets;
            output::show(&views(added), args.output)
        }
        Command::List {
            image,
            include_deleted,
        } => {
            let image = image.unwrap_or_default();
            let targets = list(&mut licensing, image, include_deleted).await?;
            output::show(&views(targets), args.output)
        }
        Command::Delete { id } => {
            let request = DeleteTargetRequest { id };
            let deleted = licensing.delete_target(request).await?.into_inner();
            let view = Deleted {
                target: deleted.target.map(TargetView::from),
                seat_locked_until: output::time(deleted.seat_locked_until.as_ref()),
            };
            output::show(&view, args.output)
        }
    }
}

type Licensing =
    tagwarden_proto::licensing::v1::licensing_client::LicensingClient<crate::client::Authed>;

async fn list(
    licensing: &mut Licensing,
    image: String,
    include_deleted: bool,
) -> Result<Vec<Target>, Status> {
    let request = ListTargetsRequest {
        image,
        include_deleted,
    };
    Ok(licensing.list_targets(request).await?.into_inner().targets)
}

/// The target id meant by `key`: an id as it is, a name (`repository:rule`)
/// looked up, the live target first.
pub(crate) async fn resolve_id(clients: &Clients, key: &str) -> anyhow::Result<String> {
    if uuid::Uuid::try_parse(key).is_ok() {
        return Ok(key.to_owned());
    }
    let mut licensing = clients.licensing().await?;
    let mut named: Vec<Target> = list(&mut licensing, String::new(), true)
        .await?
        .into_iter()
        .filter(|target| target.name == key)
        .collect();
    named.sort_by_key(|target| target.deleted_at.is_some());
    match named.first() {
        Some(target) => Ok(target.id.clone()),
        None => Err(Status::not_found(format!("no target has the id or name {key:?}")).into()),
    }
}

/// What `add-rule` found for its argument.
#[derive(Debug, PartialEq)]
pub(crate) enum Pick {
    /// Add the rules to this image.
    Image(String),
    /// A target name shared by targets of several registries.
    Ambiguous(Vec<String>),
    /// Neither a live target nor an image with live targets.
    Nothing,
}

/// Finds the image of the live target with id or name `key`, or takes
/// `key` as an image when some live target is of it.
pub(crate) fn pick_image(live: &[Target], key: &str) -> Pick {
    let mut images: Vec<String> = live
        .iter()
        .filter(|target| target.id == key || target.name == key)
        .map(image_of)
        .collect();
    images.sort();
    images.dedup();
    match images.len() {
        0 => {}
        1 => return Pick::Image(images.remove(0)),
        _ => return Pick::Ambiguous(images),
    }
    let covers = |target: &Target| image_of(target) == key || target.repository == key;
    if live.iter().any(covers) {
        Pick::Image(key.to_owned())
    } else {
        Pick::Nothing
    }
}

fn image_of(target: &Target) -> String {
    format!("{}/{}", target.registry, target.repository)
}

fn ambiguous(key: &str, images: &[String]) -> Status {
    Status::invalid_argument(format!(
        "{key:?} names targets of several images ({}); give the target id or the image",
        images.join(", ")
    ))
}

fn nothing(key: &str) -> Status {
    Status::not_found(format!(
        "{key:?} is neither a target nor an image with targets; give an image its first \
         targets with `tagwardenctl targets add {key} --rule RULE`"
    ))
}

/// A target as shown.
#[derive(Debug, Serialize)]
pub(crate) struct TargetView {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) registry: String,
    pub(crate) repository: String,
    pub(crate) tag_rule: String,
    pub(crate) integration_id: String,
    pub(crate) created_at: Option<DateTime<Utc>>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

impl From<Target> for TargetView {
    fn from(target: Target) -> Self {
        Self {
            created_at: output::time(target.created_at.as_ref()),
            deleted_at: output::time(target.deleted_at.as_ref()),
            id: target.id,
            name: target.name,
            registry: target.registry,
            repository: target.repository,
            tag_rule: target.tag_rule,
            integration_id: target.integration_id,
        }
    }
}

fn views(targets: Vec<Target>) -> Vec<TargetView> {
    targets.into_iter().map(TargetView::from).collect()
}

impl Row for TargetView {
    const HEADER: &'static [&'static str] = &["ID", "NAME", "REGISTRY", "CREATED", "DELETED"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.registry.clone(),
            output::when(self.created_at),
            output::when(self.deleted_at),
        ]
    }
}

/// What `targets delete` answers.
#[derive(Debug, Serialize)]
pub(crate) struct Deleted {
    pub(crate) target: Option<TargetView>,
    pub(crate) seat_locked_until: Option<DateTime<Utc>>,
}

impl Render for Deleted {
    fn table(&self) -> String {
        let (name, id) = self
            .target
            .as_ref()
            .map_or(("?", "?"), |t| (t.name.as_str(), t.id.as_str()));
        format!(
            "deleted target {name} ({id}); its licence seat is locked until {}\n",
            output::when(self.seat_locked_until)
        )
    }
}

#[cfg(test)]
mod tests;
