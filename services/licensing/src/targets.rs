//! The operations on targets and seats, each a short chain of named steps
//! inside one transaction. The gRPC adapter calls these; the decisions
//! about seats are the ledger's, the statements the store's.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};
use tagwarden_bus::Bus;
use tagwarden_tagrule::TagRule;
use tokio::sync::Notify;
use tracing::info;

use crate::clock::SharedClock;
use crate::error::{AddTargetsError, DeleteTargetError};
use crate::events;
use crate::ledger::{self, Ledger, Plan, Usage};
use crate::request::{self, ImageName, InvalidRequest};
use crate::store::images::{self, Lookup, image};
use crate::store::seats::{self, Holder};
use crate::store::targets::target;
use crate::store::{self, outbox};

/// Targets and seats, over the service's store.
#[derive(Debug, Clone)]
pub(crate) struct Targets {
    pub(crate) db: DatabaseConnection,
    /// Builds the envelopes the outbox stores (producer name, event id).
    pub(crate) bus: Bus,
    pub(crate) clock: SharedClock,
    pub(crate) pool_size: u32,
    /// How long a deleted target's seat stays locked.
    pub(crate) seat_lock: TimeDelta,
    /// Wakes the outbox relay after a commit.
    pub(crate) relay: Arc<Notify>,
}

impl Targets {
    /// Adds one target per rule to `image`, all or none.
    pub(crate) async fn add(
        &self,
        image: &str,
        rules: &[String],
    ) -> Result<Vec<target::Model>, AddTargetsError> {
        let name = ImageName::parse(image)?;
        let rules = request::parse_rules(rules)?;
        let now = self.clock.now();

        let txn = store::begin_write(&self.db).await?;
        seats::lock_pool(&txn).await?;
        let image = find_image(&txn, &name).await?;
        refuse_live_targets(&txn, &image, &rules).await?;
        let targets = new_targets(&image, &rules, now);
        let plan = self.plan_seats(&txn, &targets, now).await?;
        record_added(&txn, &self.bus, &targets, &plan, now).await?;
        txn.commit().await?;
        self.relay.notify_one();

        for target in &targets {
            info!(
                target = %target.name,
                target_id = %target.id,
                registry = %target.registry,
                "target added"
            );
        }
        Ok(targets)
    }

    /// Deletes a target and locks its seat. Returns the target and when the
    /// seat frees.
    pub(crate) async fn delete(
        &self,
        id: &str,
    ) -> Result<(target::Model, DateTime<Utc>), DeleteTargetError> {
        if id.is_empty() {
            return Err(DeleteTargetError::MissingId);
        }
        let now = self.clock.now();

        let txn = store::begin_write(&self.db).await?;
        seats::lock_pool(&txn).await?;
        let mut target = find_live_target(&txn, id).await?;
        let locked_until = ledger::lock_end(now, self.seat_lock);
        target.deleted_at = Some(now);
        record_deleted(&txn, &self.bus, &target, locked_until, now).await?;
        txn.commit().await?;
        self.relay.notify_one();

        info!(
            target = %target.name,
            target_id = %target.id,
            %locked_until,
            "target deleted; seat locked"
        );
        Ok((target, locked_until))
    }

    /// Targets, optionally of one image, optionally with deleted ones.
    pub(crate) async fn list(
        &self,
        image: &str,
        include_deleted: bool,
    ) -> Result<Vec<target::Model>, ListError> {
        let filter = match image {
            "" => None,
            text => Some(ImageName::parse(text).map_err(ListError::Invalid)?),
        };
        Ok(store::targets::list(&self.db, filter.as_ref(), include_deleted).await?)
    }

    /// The pool as it is now.
    pub(crate) async fn usage(&self) -> Result<Usage, sea_orm::DbErr> {
        let ledger = Ledger {
            pool_size: self.pool_size,
            seats: seats::all(&self.db).await?,
        };
        Ok(ledger.usage(self.clock.now()))
    }

    /// Decides the seats of new targets; fails when too few are free.
    async fn plan_seats(
        &self,
        txn: &DatabaseTransaction,
        targets: &[target::Model],
        now: DateTime<Utc>,
    ) -> Result<Plan, AddTargetsError> {
        let ledger = Ledger {
            pool_size: self.pool_size,
            seats: seats::all(txn).await?,
        };
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        ledger
            .allocate(&names, now)
            .map_err(AddTargetsError::NoFreeSeat)
    }
}

/// Why `ListTargets` failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ListError {
    /// The image filter is malformed.
    #[error("{0}")]
    Invalid(InvalidRequest),
    /// The datastore failed.
    #[error("datastore error: {0}")]
    Store(#[from] sea_orm::DbErr),
}

/// The one live image with at least one tag that `name` means.
async fn find_image(
    txn: &impl ConnectionTrait,
    name: &ImageName,
) -> Result<image::Model, AddTargetsError> {
    let candidates = images::candidates(txn, name).await?;
    let image = name.as_str().to_owned();
    match images::pick(name, candidates) {
        Lookup::Found(found) if found.tag_count == 0 => Err(AddTargetsError::NoTags { image }),
        Lookup::Found(found) => Ok(found),
        Lookup::Unknown => Err(AddTargetsError::UnknownImage { image }),
        Lookup::Removed(removed_at) => Err(AddTargetsError::ImageRemoved { image, removed_at }),
        Lookup::Ambiguous(registries) => Err(AddTargetsError::AmbiguousImage { image, registries }),
    }
}

/// Fails if any of the rules is already a live target of the image.
async fn refuse_live_targets(
    txn: &impl ConnectionTrait,
    image: &image::Model,
    rules: &[TagRule],
) -> Result<(), AddTargetsError> {
    let texts: Vec<&str> = rules.iter().map(TagRule::as_str).collect();
    let live =
        store::targets::live_with_rules(txn, &image.registry, &image.repository, &texts).await?;
    if live.is_empty() {
        return Ok(());
    }
    Err(AddTargetsError::AlreadyExists {
        existing: live.into_iter().map(|t| (t.name, t.id)).collect(),
    })
}

/// The targets to add, one per rule, in the order given.
fn new_targets(image: &image::Model, rules: &[TagRule], now: DateTime<Utc>) -> Vec<target::Model> {
    rules
        .iter()
        .map(|rule| target::Model {
            id: uuid::Uuid::now_v7().to_string(),
            integration_id: image.integration_id.clone(),
            provider: image.provider.clone(),
            account: image.account.clone(),
            registry: image.registry.clone(),
            repository: image.repository.clone(),
            tag_rule: rule.to_string(),
            name: request::target_name(&image.repository, rule.as_str()),
            created_at: now,
            deleted_at: None,
        })
        .collect()
}

/// Stores new targets, their seats and their `targets.created` events.
async fn record_added(
    txn: &DatabaseTransaction,
    bus: &Bus,
    targets: &[target::Model],
    plan: &Plan,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    store::targets::insert(txn, targets).await?;
    let holders: Vec<Holder<'_>> = targets
        .iter()
        .map(|t| Holder {
            target_id: &t.id,
            target_name: &t.name,
        })
        .collect();
    seats::apply(txn, plan, &holders, now).await?;
    for target in targets {
        let envelope = events::envelope(bus, events::target_created(target), now);
        outbox::push(txn, &envelope, now).await?;
    }
    Ok(())
}

/// The live target with `id`.
async fn find_live_target(
    txn: &impl ConnectionTrait,
    id: &str,
) -> Result<target::Model, DeleteTargetError> {
    let target = store::targets::find(txn, id)
        .await?
        .ok_or_else(|| DeleteTargetError::NotFound { id: id.to_owned() })?;
    match target.deleted_at {
        None => Ok(target),
        Some(deleted_at) => Err(DeleteTargetError::AlreadyDeleted {
            id: target.id,
            name: target.name,
            deleted_at,
        }),
    }
}

/// Marks a target deleted, locks its seat and stores `targets.deleted`.
async fn record_deleted(
    txn: &DatabaseTransaction,
    bus: &Bus,
    target: &target::Model,
    locked_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    store::targets::mark_deleted(txn, &target.id, now).await?;
    seats::lock(txn, &target.id, locked_until, now).await?;
    let envelope = events::envelope(bus, events::target_deleted(target), now);
    outbox::push(txn, &envelope, now).await
}
