//! Push notifications: registries that announce pushes let the watcher
//! re-resolve a repository within seconds instead of at the next poll.
//!
//! Each configured [`NotificationSource`] is one sender (a registry, an
//! EventBridge API destination, an ACR webhook, a Pub/Sub push
//! subscription) posting to `/notifications/{name}` with a shared secret.
//! A [`NotificationFormat`] turns its body into the repositories that
//! changed; everything else (the secret, the registry name, the trigger)
//! is the same for every format, in [`endpoint`].

mod acr;
mod artifact_registry;
mod distribution;
mod ecr;
pub(crate) mod endpoint;
mod sources;

use std::fmt;

use secrecy::SecretString;
use serde::Deserialize;

/// One repository a notification says changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pushed {
    /// The registry host, when the notification names it.
    pub(crate) registry: Option<String>,
    /// The repository path.
    pub(crate) repository: String,
    /// The tag pushed, when there was one (the whole repository is
    /// re-resolved either way).
    pub(crate) tag: Option<String>,
    /// For a push with a tag, the digest the tag now points at. Registries
    /// may announce a push a moment before the tag answers with the new
    /// digest; the watcher looks again until it does.
    pub(crate) digest: Option<String>,
}

/// Why a notification body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FormatError {
    /// The body is not the JSON the format expects.
    #[error("not a valid notification: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is there but a field is unusable.
    #[error("not a valid notification: {0}")]
    Invalid(String),
}

/// Reads one kind of notification body. Implementations are pure parsers,
/// tested over the senders' documented sample payloads.
pub(crate) trait NotificationFormat: Send + Sync + fmt::Debug {
    /// The format's name in config and logs.
    fn name(&self) -> &'static str;

    /// The repositories the body says changed. Events that move no tag
    /// (pulls, blob uploads, pings) yield nothing.
    fn parse(&self, body: &[u8]) -> Result<Vec<Pushed>, FormatError>;
}

/// The formats a source may send, as written in config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// CNCF distribution's `notifications.endpoints` envelope (also
    /// Harbor's and GitLab's registries).
    Distribution,
    /// Amazon ECR "ECR Image Action" events through EventBridge.
    Ecr,
    /// Azure Container Registry webhooks.
    Acr,
    /// Google Artifact Registry notifications through a Pub/Sub push
    /// subscription.
    ArtifactRegistry,
}

impl Format {
    /// The parser for this format.
    pub(crate) fn parser(self) -> Box<dyn NotificationFormat> {
        match self {
            Format::Distribution => Box::new(distribution::Distribution),
            Format::Ecr => Box::new(ecr::Ecr),
            Format::Acr => Box::new(acr::Acr),
            Format::ArtifactRegistry => Box::new(artifact_registry::ArtifactRegistry),
        }
    }
}

/// One sender of notifications, under `[[service.notifications.sources]]`
/// or `[service.notifications.sources.NAME]`.
#[derive(Debug, Clone, Deserialize)]
pub struct NotificationSource {
    /// Names the endpoint: the sender posts to `/notifications/{name}`.
    /// In the table form the key is the name.
    #[serde(default)]
    pub name: String,
    /// What the sender posts.
    pub format: Format,
    /// The registry host as discovery names it. Overrides the host a
    /// notification reports, which is whatever name the pushing client
    /// used (a load balancer's, say); required when the format names none.
    #[serde(default)]
    pub registry: Option<String>,
    /// The header carrying the secret; `Authorization` by default.
    #[serde(default = "default_header")]
    pub header: String,
    /// The header's exact expected value, e.g. `Bearer 5b3c…`. Senders that
    /// cannot set headers (Pub/Sub push) pass it as `?token=` instead.
    pub secret: SecretString,
}

fn default_header() -> String {
    "Authorization".to_owned()
}

/// The notification endpoint, under `[service.notifications]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NotificationSettings {
    /// Where the endpoint listens, e.g. `0.0.0.0:50063`. Unset: no endpoint,
    /// and repositories are only polled.
    pub listen: Option<std::net::SocketAddr>,
    /// The senders accepted: a list of sources with a `name` each, or a
    /// table of sources keyed by name, the form the environment can set
    /// (`TAGWARDEN_SERVICE__NOTIFICATIONS__SOURCES__REGISTRY__SECRET` is
    /// the secret of the source `registry`; keys come lower-cased).
    #[serde(deserialize_with = "sources::deserialize")]
    pub sources: Vec<NotificationSource>,
}
