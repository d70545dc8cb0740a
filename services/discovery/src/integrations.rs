//! The integration operations behind the API: add (checked against the
//! provider's rules and the configured credentials), list, remove (which
//! announces every repository of the integration as removed, in the same
//! transaction that deletes them).

use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};
use tagwarden_bus::Bus;
use tagwarden_registry::provider::clock::SharedClock;
use tokio::sync::Notify;
use tracing::info;

use crate::events;
use crate::providers::{self, Spec};
use crate::settings::Settings;
use crate::store::images::{self, Labels};
use crate::store::integrations::{self, NewIntegration, integration};
use crate::store::{begin_inventory_write, outbox};
use crate::sync::Syncer;

/// Why `AddIntegration` added nothing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AddError {
    /// The request breaks a rule of its provider.
    #[error("{0}")]
    Invalid(String),
    /// The credential named is not configured or does not fit.
    #[error("{0}")]
    Credential(String),
    /// Another integration has this name.
    #[error("an integration named {0:?} exists already")]
    NameTaken(String),
    /// The datastore failed.
    #[error("datastore error: {0}")]
    Store(#[from] DbErr),
}

/// Why `RemoveIntegration` removed nothing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoveError {
    /// No integration has this id.
    #[error("no integration has id {0:?}")]
    NotFound(String),
    /// The datastore failed.
    #[error("datastore error: {0}")]
    Store(#[from] DbErr),
}

/// A request to connect a registry.
#[derive(Debug, Clone)]
pub(crate) struct AddRequest {
    pub(crate) name: String,
    pub(crate) provider: String,
    pub(crate) registry: String,
    pub(crate) settings: BTreeMap<String, String>,
    pub(crate) credential_ref: String,
}

/// The integration operations.
#[derive(Debug, Clone)]
pub(crate) struct Integrations {
    pub(crate) db: DatabaseConnection,
    pub(crate) bus: Bus,
    pub(crate) clock: SharedClock,
    pub(crate) settings: Arc<Settings>,
    pub(crate) syncer: Syncer,
    /// Wakes the periodic sync so a new integration syncs at once.
    pub(crate) periodic: Arc<Notify>,
    /// Wakes the outbox relay after a removal.
    pub(crate) relay: Arc<Notify>,
}

impl Integrations {
    pub(crate) async fn add(&self, request: AddRequest) -> Result<integration::Model, AddError> {
        let name = request.name.trim().to_owned();
        if name.is_empty() {
            return Err(AddError::Invalid("an integration needs a name".to_owned()));
        }
        let spec = Spec {
            provider: &request.provider,
            registry: request.registry.trim(),
            settings: &request.settings,
            credential_ref: &request.credential_ref,
        };
        providers::check(&spec, &self.settings).map_err(|message| {
            if message.contains("credential") {
                AddError::Credential(message)
            } else {
                AddError::Invalid(message)
            }
        })?;
        if integrations::all(&self.db)
            .await?
            .iter()
            .any(|i| i.name == name)
        {
            return Err(AddError::NameTaken(name));
        }
        let new = NewIntegration {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            provider: request.provider,
            registry: request.registry.trim().to_owned(),
            settings: request.settings,
            credential_ref: request.credential_ref,
        };
        let added = integrations::insert(&self.db, new, self.clock.now())
            .await
            .map_err(|e| match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    AddError::NameTaken(request.name.trim().to_owned())
                }
                _ => AddError::Store(e),
            })?;
        info!(integration = %added.name, provider = %added.provider, "integration added");
        self.periodic.notify_one();
        Ok(added)
    }

    pub(crate) async fn list(&self) -> Result<Vec<integration::Model>, DbErr> {
        integrations::all(&self.db).await
    }

    /// Removes an integration and its inventory, announcing each of its
    /// repositories as removed.
    pub(crate) async fn remove(&self, id: &str) -> Result<(), RemoveError> {
        let txn = begin_inventory_write(&self.db).await?;
        let found = integrations::find(&txn, id)
            .await?
            .ok_or_else(|| RemoveError::NotFound(id.to_owned()))?;
        let repositories = images::inventory(&txn, id).await?;
        let labels = Labels {
            integration_id: found.id.clone(),
            integration_name: found.name.clone(),
            provider: found.provider.clone(),
            account: found.account.clone(),
            registry: found.registry.clone(),
        };
        let now = self.clock.now();
        let envelopes: Vec<_> = repositories
            .keys()
            .map(|name| events::envelope(&self.bus, events::image_removed(&labels, name), now))
            .collect();
        outbox::push_all(&txn, &envelopes, now).await?;
        images::delete_integration(&txn, id).await?;
        integrations::delete(&txn, id).await?;
        txn.commit().await?;
        self.syncer.forget(id);
        self.relay.notify_one();
        info!(integration = %found.name, repositories = envelopes.len(), "integration removed");
        Ok(())
    }
}
