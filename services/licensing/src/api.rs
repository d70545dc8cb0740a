//! The gRPC adapter: requests in, [`Targets`] operations, statuses out.
//! Each error kind maps to one status code; the message is the error's own,
//! written for the person at the other end.

use tagwarden_proto::licensing::v1 as pb;
use tagwarden_proto::licensing::v1::licensing_server::Licensing;
use tonic::{Request, Response, Status};
use tracing::{debug, error};

use crate::error::{AddTargetsError, DeleteTargetError};
use crate::events::timestamp;
use crate::ledger::Usage;
use crate::store::targets::target;
use crate::targets::{ListError, Targets};

/// The `tagwarden.licensing.v1.Licensing` service.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub(crate) targets: Targets,
}

#[tonic::async_trait]
impl Licensing for Api {
    async fn add_targets(
        &self,
        request: Request<pb::AddTargetsRequest>,
    ) -> Result<Response<pb::AddTargetsResponse>, Status> {
        let request = request.into_inner();
        debug!(image = %request.image, rules = ?request.rules, "add targets");
        let added = self
            .targets
            .add(&request.image, &request.rules)
            .await
            .map_err(add_status)?;
        Ok(Response::new(pb::AddTargetsResponse {
            targets: added.iter().map(to_proto).collect(),
        }))
    }

    async fn list_targets(
        &self,
        request: Request<pb::ListTargetsRequest>,
    ) -> Result<Response<pb::ListTargetsResponse>, Status> {
        let request = request.into_inner();
        let listed = self
            .targets
            .list(&request.image, request.include_deleted)
            .await
            .map_err(|err| match err {
                ListError::Invalid(invalid) => Status::invalid_argument(invalid.to_string()),
                ListError::Store(db) => store_status(&db),
            })?;
        Ok(Response::new(pb::ListTargetsResponse {
            targets: listed.iter().map(to_proto).collect(),
        }))
    }

    async fn delete_target(
        &self,
        request: Request<pb::DeleteTargetRequest>,
    ) -> Result<Response<pb::DeleteTargetResponse>, Status> {
        let id = request.into_inner().id;
        let (deleted, locked_until) = self.targets.delete(&id).await.map_err(delete_status)?;
        Ok(Response::new(pb::DeleteTargetResponse {
            target: Some(to_proto(&deleted)),
            seat_locked_until: Some(timestamp(locked_until)),
        }))
    }

    async fn get_usage(
        &self,
        _request: Request<pb::GetUsageRequest>,
    ) -> Result<Response<pb::Usage>, Status> {
        let usage = self.targets.usage().await.map_err(|e| store_status(&e))?;
        Ok(Response::new(usage_to_proto(usage)))
    }
}

fn add_status(err: AddTargetsError) -> Status {
    let message = err.to_string();
    match err {
        AddTargetsError::Invalid(_) | AddTargetsError::AmbiguousImage { .. } => {
            Status::invalid_argument(message)
        }
        AddTargetsError::UnknownImage { .. } | AddTargetsError::ImageRemoved { .. } => {
            Status::not_found(message)
        }
        AddTargetsError::NoTags { .. } => Status::failed_precondition(message),
        AddTargetsError::AlreadyExists { .. } => Status::already_exists(message),
        AddTargetsError::NoFreeSeat(_) => Status::resource_exhausted(message),
        AddTargetsError::Store(db) => store_status(&db),
    }
}

fn delete_status(err: DeleteTargetError) -> Status {
    let message = err.to_string();
    match err {
        DeleteTargetError::MissingId => Status::invalid_argument(message),
        DeleteTargetError::NotFound { .. } | DeleteTargetError::AlreadyDeleted { .. } => {
            Status::not_found(message)
        }
        DeleteTargetError::Store(db) => store_status(&db),
    }
}

/// A datastore failure: logged in full here, summarised to the caller.
/// A unique-index violation means a concurrent call added the same target.
fn store_status(err: &sea_orm::DbErr) -> Status {
    if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
        return Status::already_exists("the target was added by a concurrent request");
    }
    error!(error = %err, "datastore error");
    match err {
        sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
            Status::unavailable("the licensing datastore is unreachable; try again shortly")
        }
        _ => Status::internal("the licensing datastore failed; the error is in the service log"),
    }
}

fn to_proto(target: &target::Model) -> pb::Target {
    pb::Target {
        id: target.id.clone(),
        integration_id: target.integration_id.clone(),
        registry: target.registry.clone(),
        repository: target.repository.clone(),
        tag_rule: target.tag_rule.clone(),
        name: target.name.clone(),
        created_at: Some(timestamp(target.created_at)),
        deleted_at: target.deleted_at.map(timestamp),
    }
}

fn usage_to_proto(usage: Usage) -> pb::Usage {
    pb::Usage {
        pool_size: usage.pool_size,
        in_use: usage.in_use,
        locked: usage
            .locked
            .into_iter()
            .map(|seat| pb::LockedSeat {
                target_name: seat.target_name,
                locked_until: seat.locked_until.map(timestamp),
                target_id: seat.target_id,
            })
            .collect(),
        free: usage.free,
    }
}
