//! Syncing an integration: list the registry through its provider, and
//! if that worked, rewrite what changed and queue the events in one
//! transaction. A listing that fails changes no inventory: the failure is
//! recorded on the integration and the stored images stay as they were,
//! since a registry that is down has not deleted anything.
//!
//! One integration syncs at a time (a refresh waits for a running
//! periodic sync); different integrations sync in parallel, so a slow or
//! failing one never holds up the others.

mod apply;
mod periodic;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::{DatabaseConnection, DbErr};
use tagwarden_bus::Bus;
use tagwarden_registry::provider::clock::SharedClock;
use tagwarden_registry::provider::{self, ProviderError, RegistryProvider};
use tokio::sync::Notify;
use tracing::{info, warn};

pub(crate) use self::periodic::Periodic;
use crate::providers::{self, Spec};
use crate::settings::Settings;
use crate::store::integrations::{self, SyncOutcome, integration};

/// Why a sync could not even start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    /// No integration has this id.
    #[error("no integration has id {id:?}")]
    NotFound { id: String },
    /// The datastore failed.
    #[error("datastore error: {0}")]
    Store(#[from] DbErr),
}

/// Syncs integrations; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Syncer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    bus: Bus,
    clock: SharedClock,
    settings: Arc<Settings>,
    /// Woken after a commit that queued events.
    relay: Arc<Notify>,
    /// One lock per integration, so its syncs never overlap.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Providers kept between syncs: they keep tokens and what they
    /// learned about digests.
    providers: Mutex<HashMap<String, Arc<dyn RegistryProvider>>>,
}

impl Syncer {
    pub(crate) fn new(
        db: DatabaseConnection,
        bus: Bus,
        clock: SharedClock,
        settings: Arc<Settings>,
        relay: Arc<Notify>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                bus,
                clock,
                settings,
                relay,
                locks: Mutex::new(HashMap::new()),
                providers: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// Syncs one integration now and returns what happened. A registry
    /// failure is an outcome with an error, not an `Err`.
    pub(crate) async fn sync(&self, id: &str) -> Result<SyncOutcome, SyncError> {
        let lock = self.lock_of(id);
        let _held = lock.lock().await;
        let integration = integrations::find(&self.inner.db, id)
            .await?
            .ok_or_else(|| SyncError::NotFound { id: id.to_owned() })?;
        let started_at = self.inner.clock.now();
        let listed = self.list(&integration).await;
        let outcome = match listed {
            Ok((provider, listing)) => {
                let applied = apply::Apply {
                    db: &self.inner.db,
                    bus: &self.inner.bus,
                    clock: &self.inner.clock,
                    integration: &integration,
                    provider: provider.as_ref(),
                };
                let outcome = applied.run(listing, started_at).await?;
                if outcome.discovered + outcome.removed > 0 {
                    self.inner.relay.notify_one();
                }
                outcome
            }
            Err(error) => {
                let outcome = SyncOutcome {
                    started_at,
                    finished_at: self.inner.clock.now(),
                    error: Some(error.to_string()),
                    ..SyncOutcome::default()
                };
                integrations::record_sync(&self.inner.db, id, &outcome, None).await?;
                outcome
            }
        };
        log(&integration, &outcome);
        Ok(outcome)
    }

    /// Forgets a removed integration's provider.
    pub(crate) fn forget(&self, id: &str) {
        self.inner
            .providers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    async fn list(
        &self,
        integration: &integration::Model,
    ) -> Result<(Arc<dyn RegistryProvider>, Vec<provider::RepositoryListing>), ProviderError> {
        let provider = self.provider(integration).await?;
        let concurrency = self.inner.settings.repository_concurrency;
        let listing = provider::snapshot(provider.as_ref(), concurrency).await?;
        Ok((provider, listing))
    }

    async fn provider(
        &self,
        integration: &integration::Model,
    ) -> Result<Arc<dyn RegistryProvider>, ProviderError> {
        if let Some(provider) = self.kept(&integration.id) {
            return Ok(provider);
        }
        let settings = integrations::settings(integration);
        let spec = Spec {
            provider: &integration.provider,
            registry: &integration.registry,
            settings: &settings,
            credential_ref: &integration.credential_ref,
        };
        let built = providers::build(&spec, &self.inner.settings, self.inner.clock.clone()).await?;
        self.inner
            .providers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(integration.id.clone(), built.clone());
        Ok(built)
    }

    fn kept(&self, id: &str) -> Option<Arc<dyn RegistryProvider>> {
        let kept = self
            .inner
            .providers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        kept.get(id).cloned()
    }

    fn lock_of(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        locks.entry(id.to_owned()).or_default().clone()
    }
}

fn log(integration: &integration::Model, outcome: &SyncOutcome) {
    let seconds = (outcome.finished_at - outcome.started_at).as_seconds_f64();
    match &outcome.error {
        None => info!(
            integration = %integration.name,
            repositories = outcome.repositories,
            tags = outcome.tags,
            discovered = outcome.discovered,
            removed = outcome.removed,
            seconds,
            "integration synced"
        ),
        Some(error) => warn!(
            integration = %integration.name,
            error = %error,
            seconds,
            "integration sync failed; inventory kept"
        ),
    }
}
