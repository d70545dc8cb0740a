//! Advisory database updates: import a new version (asked for through the
//! API, or by the periodic job from the configured source), record it,
//! publish `vulndb.updated` through the outbox, and wake the rematch loop.
//! An import that brings the version already recorded as newest changes
//! nothing and publishes nothing.

use std::sync::Arc;
use std::time::Duration;

use tagwarden_bus::Event;
use tagwarden_bus::events::VulnDbUpdated;
use tagwarden_engine::advisory::DatabaseStatus;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::record::Recorder;
use crate::store::database;
use crate::vulndb::{ImportError, Vulndb};

/// Why an update did not take effect.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpdateError {
    /// The import itself failed; the current database stays.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The new database is in place but could not be recorded; the next
    /// import of the same data records it.
    #[error("the import could not be recorded: {0:#}")]
    Store(#[from] anyhow::Error),
}

/// Imports and announces new database versions.
#[derive(Debug, Clone)]
pub(crate) struct Updater {
    pub(crate) vulndb: Arc<Vulndb>,
    pub(crate) recorder: Recorder,
    pub(crate) rematch: Arc<Notify>,
}

impl Updater {
    /// Imports from `sources` and, if that is a new version, records and
    /// announces it.
    pub(crate) async fn import(&self, sources: &str) -> Result<DatabaseStatus, UpdateError> {
        let status = self.vulndb.import(sources).await?;
        let version = status.version.to_string();
        let latest = database::latest(self.recorder.db()).await?;
        let previous = latest.map(|row| row.version);
        if previous.as_deref() == Some(version.as_str()) {
            info!(%version, "advisory database unchanged");
            return Ok(status);
        }
        let event = Event::VulndbUpdated(VulnDbUpdated {
            database_version: version.clone(),
            previous_version: previous.clone().unwrap_or_default(),
            advisory_count: u64::try_from(status.advisories).unwrap_or(u64::MAX),
        });
        // A URL may carry a password; only its redacted form is kept.
        let shown = redact_sources(sources);
        let import = database::Import {
            version: &version,
            previous_version: previous.as_deref(),
            source: &shown,
            advisories: status.advisories,
        };
        self.recorder.imported(import, event).await?;
        info!(
            %version,
            previous = previous.as_deref().unwrap_or(""),
            advisories = status.advisories,
            "advisory database updated"
        );
        self.rematch.notify_one();
        Ok(status)
    }
}

/// Imports from `source` at start and every `interval` until `shutdown`.
pub(crate) async fn run_periodic(
    updater: Updater,
    source: String,
    interval: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        if let Err(err) = updater.import(&source).await {
            let source = redact_sources(&source);
            warn!(source, error = %err, "periodic advisory database import failed");
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// Sources as they may be shown: URLs without their passwords.
pub(crate) fn redact_sources(sources: &str) -> String {
    sources
        .split(',')
        .map(|source| tagwarden_runtime::db::redact(source.trim()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_source_urls_are_never_kept() {
        assert_eq!(
            redact_sources("/data/osv, https://ci:s3cret@mirror.lan/osv/all.zip"),
            "/data/osv,https://ci:***@mirror.lan/osv/all.zip"
        );
    }
}
