//! The unit the watcher works in: one repository of one registry. Every
//! target on it is served by the same tag listing.

use std::fmt;

/// A repository as discovery and licensing name it: the registry host as
/// written in `ImageLocation.registry` and the repository path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RepositoryKey {
    /// Registry host with optional port, e.g. `127.0.0.1:5000`.
    pub(crate) registry: String,
    /// Repository path, e.g. `team/app`.
    pub(crate) repository: String,
}

impl RepositoryKey {
    /// A key from its two parts.
    pub(crate) fn new(registry: &str, repository: &str) -> Self {
        Self {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
        }
    }
}

impl fmt::Display for RepositoryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)
    }
}

/// Something that re-resolves a repository soon: the watcher, as seen by
/// notifications and event handlers, which only ask and never wait.
pub(crate) trait RefreshSoon: Send + Sync + 'static {
    /// Queues a refresh of `repository`, coalescing with one already queued.
    fn refresh_soon(&self, repository: RepositoryKey);

    /// Like [`RefreshSoon::refresh_soon`], for a push of `tag` at `digest`
    /// that the registry may not show yet: looks again until it does.
    fn refresh_after_push(&self, repository: RepositoryKey, tag: &str, digest: &str) {
        let _ = (tag, digest);
        self.refresh_soon(repository);
    }
}
