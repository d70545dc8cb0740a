//! The bus adapter: `targets.created` and `targets.deleted` say what to
//! watch; discovery's events bring push times; `tags.digest_changed` is
//! built here and sent by the outbox relay.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tagwarden_bus::events::{DigestChanged, ImageDiscovered, ImageLocation, TargetRef};
use tagwarden_bus::{Bus, ConsumerSpec, Delivery, Envelope, Event, Handler, HandlerError, Stream};
use tracing::{debug, info};

use crate::pushed::Discovered;
use crate::repository::{RefreshSoon, RepositoryKey};
use crate::resolution::Resolution;
use crate::store::repositories;
use crate::store::targets::{self, target};

/// The durable consumer name on the TARGETS and DISCOVERY streams.
pub(crate) const CONSUMER: &str = "tag-watcher";

/// All of TARGETS: targets created and deleted.
pub(crate) fn targets_spec() -> ConsumerSpec {
    ConsumerSpec::new(CONSUMER, Stream::Targets, None)
}

/// All of DISCOVERY: images found (with push times) and gone.
pub(crate) fn discovery_spec() -> ConsumerSpec {
    ConsumerSpec::new(CONSUMER, Stream::Discovery, None)
}

/// An envelope for `event` dated `now`, the time the change was seen.
pub(crate) fn envelope(bus: &Bus, event: Event, now: DateTime<Utc>) -> Envelope {
    let mut envelope = bus.envelope(event);
    envelope.occurred_at = Some(timestamp(now));
    envelope
}

/// `tags.digest_changed` for a target that now resolves to `next`.
pub(crate) fn digest_changed(
    target: &target::Model,
    previous: Option<&Resolution>,
    next: &Resolution,
) -> Event {
    Event::DigestChanged(DigestChanged {
        target_id: target.id.clone(),
        image: Some(ImageLocation {
            integration_id: target.integration_id.clone(),
            provider: target.provider.clone(),
            account: target.account.clone(),
            registry: target.registry.clone(),
            repository: target.repository.clone(),
        }),
        tag: next.tag.clone(),
        digest: next.digest.clone(),
        pushed_at: Some(timestamp(next.pushed_at)),
        previous_tag: previous.map(|p| p.tag.clone()).unwrap_or_default(),
        previous_digest: previous.map(|p| p.digest.clone()).unwrap_or_default(),
    })
}

/// Keeps the targets table in step with licensing, and resolves a new
/// target at once. Idempotent: a redelivered creation adds nothing, and a
/// creation after its deletion stays deleted.
#[derive(Clone)]
pub(crate) struct TargetHandler {
    pub(crate) db: DatabaseConnection,
    pub(crate) refresh: Arc<dyn RefreshSoon>,
}

impl Handler for TargetHandler {
    async fn handle(&self, delivery: Delivery) -> Result<(), HandlerError> {
        let at = occurred_at(&delivery)?;
        match delivery.event() {
            Event::TargetCreated(created) => {
                let row = target_row(created.target.as_ref(), at)?;
                let key = row.repository_key();
                let (id, rule) = (row.id.clone(), row.tag_rule.clone());
                if targets::insert(&self.db, row).await? {
                    info!(target_id = %id, repository = %key, rule = %rule, "target watched");
                }
                // Also on redelivery: the first refresh may not have happened.
                self.refresh.refresh_soon(key);
            }
            Event::TargetDeleted(deleted) => {
                let row = target_row(deleted.target.as_ref(), at)?;
                let id = row.id.clone();
                if targets::delete(&self.db, row, at).await? {
                    info!(target_id = %id, "target no longer watched");
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Records discovery's push times, and re-resolves the repository since
/// better times may change which tag wins.
#[derive(Clone)]
pub(crate) struct DiscoveryHandler {
    pub(crate) db: DatabaseConnection,
    pub(crate) refresh: Arc<dyn RefreshSoon>,
}

impl Handler for DiscoveryHandler {
    async fn handle(&self, delivery: Delivery) -> Result<(), HandlerError> {
        let at = occurred_at(&delivery)?;
        let (location, tags) = match delivery.event() {
            Event::ImageDiscovered(found) => (found.image.as_ref(), discovered_tags(found)),
            Event::ImageRemoved(gone) => (gone.image.as_ref(), BTreeMap::new()),
            _ => return Ok(()),
        };
        let key = repository_key(location)?;
        if repositories::store_discovered(&self.db, &key, &tags, at).await? {
            debug!(repository = %key, tags = tags.len(), "discovered push times recorded");
            self.refresh.refresh_soon(key);
        }
        Ok(())
    }
}

/// The tags discovery dated; tags without a digest or a time say nothing.
fn discovered_tags(found: &ImageDiscovered) -> BTreeMap<String, Discovered> {
    found
        .tags
        .iter()
        .filter(|t| !t.digest.is_empty())
        .filter_map(|t| {
            let pushed_at = t.pushed_at.as_ref().and_then(from_timestamp)?;
            let dated = Discovered {
                digest: t.digest.clone(),
                pushed_at,
                from_config: t.pushed_at_from_config,
            };
            Some((t.tag.clone(), dated))
        })
        .collect()
}

fn target_row(
    target: Option<&TargetRef>,
    at: DateTime<Utc>,
) -> Result<target::Model, HandlerError> {
    let target = target.ok_or_else(|| reject("target event without a target"))?;
    if target.target_id.is_empty() {
        return Err(reject("target event without a target id"));
    }
    let location = target.image.as_ref();
    let key = repository_key(location)?;
    let location = location.cloned().unwrap_or_default();
    Ok(target::Model {
        id: target.target_id.clone(),
        integration_id: location.integration_id,
        provider: location.provider,
        account: location.account,
        registry: key.registry,
        repository: key.repository,
        tag_rule: target.tag_rule.clone(),
        tag: None,
        digest: None,
        pushed_at: None,
        revision: 0,
        checked_at: None,
        created_at: at,
        deleted_at: None,
    })
}

fn repository_key(location: Option<&ImageLocation>) -> Result<RepositoryKey, HandlerError> {
    match location {
        Some(l) if !l.registry.is_empty() && !l.repository.is_empty() => {
            Ok(RepositoryKey::new(&l.registry, &l.repository))
        }
        _ => Err(reject("event without a registry and repository")),
    }
}

fn occurred_at(delivery: &Delivery) -> Result<DateTime<Utc>, HandlerError> {
    delivery
        .envelope
        .occurred_at
        .as_ref()
        .and_then(from_timestamp)
        .ok_or_else(|| reject("event has no valid occurred_at"))
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
pub(crate) fn from_timestamp(ts: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).ok()?)
}

#[cfg(test)]
mod tests {
    use tagwarden_bus::events::DiscoveredTag;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn only_dated_tags_with_digests_are_kept() {
        let tag = |name: &str, digest: &str, pushed: Option<i64>| DiscoveredTag {
            tag: name.into(),
            digest: digest.into(),
            media_type: String::new(),
            pushed_at: pushed.map(|s| timestamp(at(s))),
            pushed_at_from_config: false,
        };
        let found = ImageDiscovered {
            image: None,
            tags: vec![
                tag("a", "sha256:a", Some(1)),
                tag("b", "", Some(2)),
                tag("c", "sha256:c", None),
            ],
        };
        let kept = discovered_tags(&found);
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(kept["a"].pushed_at, at(1));
    }

    #[test]
    fn the_first_event_has_no_previous_resolution() {
        let row = target_row(
            Some(&TargetRef {
                target_id: "t1".into(),
                image: Some(ImageLocation {
                    registry: "127.0.0.1:5000".into(),
                    repository: "team/app".into(),
                    ..ImageLocation::default()
                }),
                tag_rule: "production".into(),
            }),
            at(0),
        )
        .unwrap();
        let next = Resolution {
            tag: "production".into(),
            digest: "sha256:b".into(),
            pushed_at: at(5),
        };
        let Event::DigestChanged(event) = digest_changed(&row, None, &next) else {
            unreachable!()
        };
        assert_eq!(
            (event.previous_tag.as_str(), event.previous_digest.as_str()),
            ("", "")
        );
        assert_eq!(event.pushed_at, Some(timestamp(at(5))));
        assert!(target_row(None, at(0)).is_err());
    }
}
