//! The gRPC adapter: requests in, operations, statuses out. Credentials
//! are never returned: an integration shows the name of its credential.

use tagwarden_proto::discovery::v1 as pb;
use tagwarden_proto::discovery::v1::discovery_server::Discovery;
use tonic::{Request, Response, Status};
use tracing::{debug, error};

use crate::events::timestamp;
use crate::integrations::{AddError, AddRequest, Integrations, RemoveError};
use crate::store::images::{self, image};
use crate::store::integrations::{self as stored, SyncOutcome, integration};
use crate::sync::{SyncError, Syncer};

/// Rows per page when the caller does not say.
const DEFAULT_PAGE: u32 = 100;
/// The largest page served.
const MAX_PAGE: u32 = 1000;

/// The `tagwarden.discovery.v1.Discovery` service.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub(crate) integrations: Integrations,
    pub(crate) syncer: Syncer,
}

#[tonic::async_trait]
impl Discovery for Api {
    async fn add_integration(
        &self,
        request: Request<pb::AddIntegrationRequest>,
    ) -> Result<Response<pb::Integration>, Status> {
        let r = request.into_inner();
        debug!(name = %r.name, provider = %r.provider, "add integration");
        let request = AddRequest {
            name: r.name,
            provider: r.provider,
            registry: r.registry,
            settings: r.settings.into_iter().collect(),
            credential_ref: r.credential_ref,
        };
        let added = self.integrations.add(request).await.map_err(|e| {
            let message = e.to_string();
            match e {
                AddError::Invalid(_) => Status::invalid_argument(message),
                AddError::Credential(_) => Status::failed_precondition(message),
                AddError::NameTaken(_) => Status::already_exists(message),
                AddError::Store(db) => store_status(&db),
            }
        })?;
        Ok(Response::new(integration_to_proto(&added)))
    }

    async fn list_integrations(
        &self,
        _request: Request<pb::ListIntegrationsRequest>,
    ) -> Result<Response<pb::ListIntegrationsResponse>, Status> {
        let all = self
            .integrations
            .list()
            .await
            .map_err(|e| store_status(&e))?;
        Ok(Response::new(pb::ListIntegrationsResponse {
            integrations: all.iter().map(integration_to_proto).collect(),
        }))
    }

    async fn remove_integration(
        &self,
        request: Request<pb::RemoveIntegrationRequest>,
    ) -> Result<Response<pb::RemoveIntegrationResponse>, Status> {
        let id = request.into_inner().id;
        self.integrations.remove(&id).await.map_err(|e| match e {
            RemoveError::NotFound(_) => Status::not_found(e.to_string()),
            RemoveError::Store(db) => store_status(&db),
        })?;
        Ok(Response::new(pb::RemoveIntegrationResponse {}))
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::SyncResult>, Status> {
        let id = request.into_inner().integration_id;
        let outcome = self.syncer.sync(&id).await.map_err(|e| match e {
            SyncError::NotFound { .. } => Status::not_found(e.to_string()),
            SyncError::Store(db) => store_status(&db),
        })?;
        Ok(Response::new(outcome_to_proto(&outcome)))
    }

    async fn list_images(
        &self,
        request: Request<pb::ListImagesRequest>,
    ) -> Result<Response<pb::ListImagesResponse>, Status> {
        let r = request.into_inner();
        let offset: u64 = match r.page_token.as_str() {
            "" => 0,
            token => token.parse().map_err(|_| {
                Status::invalid_argument(format!(
                    "page token {token:?} is not one this service gave"
                ))
            })?,
        };
        let size = match r.page_size {
            0 => DEFAULT_PAGE,
            n => n.min(MAX_PAGE),
        };
        let query = images::Query {
            targets_only: r.targets_only,
            search: r.search.trim().to_lowercase(),
            integration_id: Some(r.integration_id).filter(|id| !id.is_empty()),
            oldest_first: r.oldest_first,
            offset,
            // One row more than the page tells whether another page follows.
            limit: u64::from(size) + 1,
        };
        let mut rows = images::page(self.syncer.db(), &query)
            .await
            .map_err(|e| store_status(&e))?;
        let more = rows.len() > size as usize;
        rows.truncate(size as usize);
        let next_page_token = if more {
            (offset + u64::from(size)).to_string()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListImagesResponse {
            images: rows.iter().map(row_to_proto).collect(),
            next_page_token,
        }))
    }
}

/// A datastore failure: logged in full here, summarised to the caller.
fn store_status(err: &sea_orm::DbErr) -> Status {
    error!(error = %err, "datastore error");
    match err {
        sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
            Status::unavailable("the discovery datastore is unreachable; try again shortly")
        }
        _ => Status::internal("the discovery datastore failed; the error is in the service log"),
    }
}

fn integration_to_proto(model: &integration::Model) -> pb::Integration {
    let last_sync = model.sync_started_at.map(|started_at| pb::SyncResult {
        started_at: Some(timestamp(started_at)),
        finished_at: model.sync_finished_at.map(timestamp),
        ok: model.sync_ok.unwrap_or(false),
        error: model.sync_error.clone(),
        repositories: u32::try_from(model.sync_repositories).unwrap_or(0),
        tags: u32::try_from(model.sync_tags).unwrap_or(0),
        discovered: u32::try_from(model.sync_discovered).unwrap_or(0),
        removed: u32::try_from(model.sync_removed).unwrap_or(0),
    });
    pb::Integration {
        id: model.id.clone(),
        name: model.name.clone(),
        provider: model.provider.clone(),
        account: model.account.clone(),
        registry: model.registry.clone(),
        settings: stored::settings(model).into_iter().collect(),
        credential_ref: model.credential_ref.clone(),
        last_sync,
    }
}

fn outcome_to_proto(outcome: &SyncOutcome) -> pb::SyncResult {
    pb::SyncResult {
        started_at: Some(timestamp(outcome.started_at)),
        finished_at: Some(timestamp(outcome.finished_at)),
        ok: outcome.error.is_none(),
        error: outcome.error.clone().unwrap_or_default(),
        repositories: outcome.repositories,
        tags: outcome.tags,
        discovered: outcome.discovered,
        removed: outcome.removed,
    }
}

fn row_to_proto(row: &image::Model) -> pb::ImageRow {
    pb::ImageRow {
        repository: row.repository.clone(),
        account: row.account.clone(),
        registry: row.registry.clone(),
        tag: row.tag.clone(),
        digest: row.digest.clone(),
        pushed_at: row.pushed_at.map(timestamp),
        covered_by_target: row.covered,
        integration_id: row.integration_id.clone(),
        provider: row.provider.clone(),
        account_name: row.integration_name.clone(),
        media_type: row.media_type.clone(),
        pushed_at_from_config: row.pushed_at_from_config,
        untagged: row.untagged,
    }
}
