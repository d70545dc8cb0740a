//! The bus adapter: the events discovery publishes (built here, queued in
//! the outbox by a sync, sent by the relay) and the target events it
//! consumes to keep the "covered by a target" flag.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tagwarden_bus::events::{
    DiscoveredTag, ImageDiscovered, ImageLocation, ImageRemoved, TargetRef,
};
use tagwarden_bus::{Bus, ConsumerSpec, Delivery, Envelope, Event, Handler, HandlerError, Stream};
use tracing::debug;

use crate::coverage::Rules;
use crate::inventory::Entry;
use crate::store::begin_inventory_write;
use crate::store::images::{self, Labels};
use crate::store::targets::{self, target};

/// The durable consumer name on the TARGETS stream.
pub(crate) const CONSUMER: &str = "discovery";

/// What the consumer reads: all of TARGETS (created and deleted).
pub(crate) fn consumer_spec() -> ConsumerSpec {
    ConsumerSpec::new(CONSUMER, Stream::Targets, None)
}

/// An envelope for `event` dated `now` by the service's clock.
pub(crate) fn envelope(bus: &Bus, event: Event, now: DateTime<Utc>) -> Envelope {
    let mut envelope = bus.envelope(event);
    envelope.occurred_at = Some(timestamp(now));
    envelope
}

fn location(labels: &Labels, repository: &str) -> ImageLocation {
    ImageLocation {
        integration_id: labels.integration_id.clone(),
        provider: labels.provider.clone(),
        account: labels.account.clone(),
        registry: labels.registry.clone(),
        repository: repository.to_owned(),
    }
}

/// `discovery.image.discovered`: every tag the repository has now.
pub(crate) fn image_discovered(labels: &Labels, repository: &str, entries: &[Entry]) -> Event {
    let tags = entries
        .iter()
        .filter_map(|entry| {
            Some(DiscoveredTag {
                tag: entry.tag.clone()?,
                digest: entry.digest.clone(),
                media_type: entry.media_type.clone(),
                pushed_at: entry.pushed_at.map(timestamp),
                pushed_at_from_config: entry.pushed_at_from_config,
            })
        })
        .collect();
    Event::ImageDiscovered(ImageDiscovered {
        image: Some(location(labels, repository)),
        tags,
    })
}

/// `discovery.image.removed`.
pub(crate) fn image_removed(labels: &Labels, repository: &str) -> Event {
    Event::ImageRemoved(ImageRemoved {
        image: Some(location(labels, repository)),
    })
}

/// Keeps the targets table and the covered flag in step with licensing.
/// Idempotent: a repeated `targets.created` stores nothing new, a repeated
/// `targets.deleted` finds nothing to delete, and coverage is recomputed
/// from the stored rules either way.
#[derive(Debug, Clone)]
pub(crate) struct TargetsHandler {
    pub(crate) db: DatabaseConnection,
}

impl Handler for TargetsHandler {
    async fn handle(&self, delivery: Delivery) -> Result<(), HandlerError> {
        let (reference, created) = match delivery.event() {
            Event::TargetCreated(event) => (event.target.as_ref(), true),
            Event::TargetDeleted(event) => (event.target.as_ref(), false),
            _ => return Ok(()),
        };
        let model = target_model(reference)?;
        let (registry, repository) = (model.registry.clone(), model.repository.clone());
        let txn = begin_inventory_write(&self.db).await?;
        if created {
            targets::upsert(&txn, model).await?;
        } else {
            targets::remove(&txn, &model.target_id).await?;
        }
        let covered = recompute(&txn, &registry, &repository).await?;
        txn.commit().await?;
        debug!(%registry, %repository, created, covered, "target coverage updated");
        Ok(())
    }
}

fn target_model(reference: Option<&TargetRef>) -> Result<target::Model, HandlerError> {
    let reference = reference.ok_or_else(|| reject("target event without a target"))?;
    let image = reference
        .image
        .as_ref()
        .ok_or_else(|| reject("target without an image"))?;
    if reference.target_id.is_empty() || image.registry.is_empty() || image.repository.is_empty() {
        return Err(reject("target without id, registry or repository"));
    }
    Ok(target::Model {
        target_id: reference.target_id.clone(),
        registry: image.registry.clone(),
        repository: image.repository.clone(),
        tag_rule: reference.tag_rule.clone(),
    })
}

/// Sets the covered flag of every tag of one repository from its
/// targets' rules; returns how many tags are covered.
pub(crate) async fn recompute(
    db: &impl sea_orm::ConnectionTrait,
    registry: &str,
    repository: &str,
) -> Result<usize, sea_orm::DbErr> {
    let rules = Rules::parse(&targets::rules_of(db, registry, repository).await?);
    let (covered, uncovered): (Vec<_>, Vec<_>) = images::tags_of(db, registry, repository)
        .await?
        .into_iter()
        .partition(|row| rules.cover(Some(&row.tag)));
    let count = covered.len();
    let ids = |rows: Vec<images::image::Model>, flag: bool| {
        rows.into_iter()
            .filter(|r| r.covered != flag)
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    images::set_covered(db, ids(covered, true), true).await?;
    images::set_covered(db, ids(uncovered, false), false).await?;
    Ok(count)
}

/// An event that contradicts the contract; retrying cannot help.
fn reject(why: &str) -> HandlerError {
    HandlerError::Reject(anyhow::anyhow!("{why}"))
}

/// A protobuf timestamp for a time.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels {
            integration_id: "int-1".into(),
            integration_name: "lab".into(),
            provider: "oci".into(),
            account: String::new(),
            registry: "127.0.0.1:5000".into(),
        }
    }

    #[test]
    fn discovered_events_carry_tags_only() {
        let tagged = Entry {
            tag: Some("v1".into()),
            digest: "sha256:aa".into(),
            media_type: "m".into(),
            pushed_at: DateTime::from_timestamp(1_800_000_000, 0),
            pushed_at_from_config: true,
        };
        let event = image_discovered(&labels(), "team/app", &[tagged, Entry::placeholder()]);
        let Event::ImageDiscovered(event) = event else {
            panic!("wrong event")
        };
        assert_eq!(event.tags.len(), 1);
        assert_eq!(event.tags[0].tag, "v1");
        assert!(event.tags[0].pushed_at_from_config);
        assert_eq!(event.image.unwrap().repository, "team/app");
    }

    #[test]
    fn target_events_without_an_image_are_rejected() {
        let reference = TargetRef {
            target_id: "t1".into(),
            image: None,
            tag_rule: "latest".into(),
        };
        assert!(matches!(
            target_model(Some(&reference)),
            Err(HandlerError::Reject(_))
        ));
    }
}
