//! The bus adapter: the events licensing publishes (built here, sent by
//! the outbox relay) and the discovery events it consumes to know which
//! images exist.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tagwarden_bus::events::{
    DiscoveredTag, ImageDiscovered, ImageLocation, ImageRemoved, TargetCreated, TargetDeleted,
    TargetRef,
};
use tagwarden_bus::{Bus, ConsumerSpec, Delivery, Envelope, Event, Handler, HandlerError, Stream};
use tracing::{debug, info};

use crate::store::images::{self, Sighting, StoredTag};
use crate::store::targets::target;

/// The durable consumer name on the DISCOVERY stream.
pub(crate) const CONSUMER: &str = "licensing";

/// What the consumer reads: all of DISCOVERY (images found and gone).
pub(crate) fn consumer_spec() -> ConsumerSpec {
    ConsumerSpec::new(CONSUMER, Stream::Discovery, None)
}

/// An envelope for `event` dated `now` by the service's clock, so event
/// times agree with the times the store records.
pub(crate) fn envelope(bus: &Bus, event: Event, now: DateTime<Utc>) -> Envelope {
    let mut envelope = bus.envelope(event);
    envelope.occurred_at = Some(timestamp(now));
    envelope
}

/// `targets.created` for a new target.
pub(crate) fn target_created(target: &target::Model) -> Event {
    Event::TargetCreated(TargetCreated {
        target: Some(target_ref(target)),
    })
}

/// `targets.deleted` for a deleted target.
pub(crate) fn target_deleted(target: &target::Model) -> Event {
    Event::TargetDeleted(TargetDeleted {
        target: Some(target_ref(target)),
    })
}

fn target_ref(target: &target::Model) -> TargetRef {
    TargetRef {
        target_id: target.id.clone(),
        image: Some(ImageLocation {
            integration_id: target.integration_id.clone(),
            provider: target.provider.clone(),
            account: target.account.clone(),
            registry: target.registry.clone(),
            repository: target.repository.clone(),
        }),
        tag_rule: target.tag_rule.clone(),
    }
}

/// Keeps the image projection up to date from discovery's events.
/// Idempotent: a snapshot older than the stored one changes nothing.
#[derive(Debug, Clone)]
pub(crate) struct DiscoveryHandler {
    pub(crate) db: DatabaseConnection,
}

impl Handler for DiscoveryHandler {
    async fn handle(&self, delivery: Delivery) -> Result<(), HandlerError> {
        let observed_at = delivery
            .envelope
            .occurred_at
            .as_ref()
            .and_then(from_timestamp)
            .ok_or_else(|| reject("event has no valid occurred_at"))?;
        let sighting = match delivery.event() {
            Event::ImageDiscovered(event) => discovered(event, observed_at)?,
            Event::ImageRemoved(event) => removed(event, observed_at)?,
            _ => return Ok(()),
        };
        let (registry, repository) = (sighting.registry.clone(), sighting.repository.clone());
        let (tags, gone) = (sighting.tags.len(), sighting.removed);
        let stored = images::record(&self.db, sighting).await?;
        if !stored {
            debug!(%registry, %repository, "older image snapshot ignored");
        } else if gone {
            info!(%registry, %repository, "image removed");
        } else {
            debug!(%registry, %repository, tags, "image recorded");
        }
        Ok(())
    }
}

fn discovered(
    event: &ImageDiscovered,
    observed_at: DateTime<Utc>,
) -> Result<Sighting, HandlerError> {
    let location = event
        .image
        .as_ref()
        .ok_or_else(|| reject("image.discovered without an image"))?;
    let tags = event.tags.iter().map(stored_tag).collect();
    sighting(location, tags, false, observed_at)
}

fn removed(event: &ImageRemoved, observed_at: DateTime<Utc>) -> Result<Sighting, HandlerError> {
    let location = event
        .image
        .as_ref()
        .ok_or_else(|| reject("image.removed without an image"))?;
    sighting(location, Vec::new(), true, observed_at)
}

fn sighting(
    location: &ImageLocation,
    tags: Vec<StoredTag>,
    removed: bool,
    observed_at: DateTime<Utc>,
) -> Result<Sighting, HandlerError> {
    if location.registry.is_empty() || location.repository.is_empty() {
        return Err(reject("image location without registry or repository"));
    }
    Ok(Sighting {
        registry: location.registry.clone(),
        repository: location.repository.clone(),
        integration_id: location.integration_id.clone(),
        provider: location.provider.clone(),
        account: location.account.clone(),
        tags,
        removed,
        observed_at,
    })
}

fn stored_tag(tag: &DiscoveredTag) -> StoredTag {
    StoredTag {
        tag: tag.tag.clone(),
        digest: tag.digest.clone(),
        pushed_at: tag.pushed_at.as_ref().and_then(from_timestamp),
    }
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

/// A time for a protobuf timestamp, if it is a valid one.
fn from_timestamp(ts: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let time = DateTime::parse_from_rfc3339("2026-03-01T12:00:00.123456789Z")
            .unwrap()
            .to_utc();
        assert_eq!(from_timestamp(&timestamp(time)), Some(time));
        let negative = prost_types::Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert_eq!(from_timestamp(&negative), None);
    }

    #[test]
    fn removed_image_becomes_a_sighting_without_tags() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let event = ImageRemoved {
            image: Some(ImageLocation {
                integration_id: "int-1".into(),
                provider: "oci".into(),
                account: String::new(),
                registry: "127.0.0.1:5000".into(),
                repository: "acme/app".into(),
            }),
        };
        let sighting = removed(&event, at).unwrap();
        assert!(sighting.removed && sighting.tags.is_empty());
        assert_eq!(sighting.repository, "acme/app");
        assert!(removed(&ImageRemoved { image: None }, at).is_err());
    }
}
