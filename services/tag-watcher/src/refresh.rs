//! One look at one repository, for every live target on it at once: one
//! tag listing, one digest per tag some rule matches, then each target's
//! decision, committed with its event in one transaction.
//!
//! Nothing is written unless every read succeeded: a listing or a digest
//! that failed leaves every target's resolution and every sighting as it
//! was, so an outage never moves, drops or announces anything.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use futures::future::try_join_all;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tagwarden_bus::Bus;
use tagwarden_tagrule::TagRule;
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use crate::events;
use crate::pushed::{self, Discovered, Observation};
use crate::registry::{Registries, RegistryError};
use crate::repository::RepositoryKey;
use crate::resolution::{self, Candidate, Decision};
use crate::store::targets::{self, target};
use crate::store::{self, outbox, repositories, sightings};

/// What one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Live targets on the repository.
    pub targets: usize,
    /// Tags the listing returned.
    pub tags: usize,
    /// Digests read (one `HEAD` each, a `GET` where the header is missing).
    pub digests: usize,
    /// Image configs read to date tags present before the first look.
    pub configs: usize,
    /// `tags.digest_changed` events committed.
    pub events: usize,
}

/// What a refresh saw: the digest of each watched tag, and the rules that
/// watch them.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    digests: BTreeMap<String, String>,
    rules: Vec<TagRule>,
}

impl Seen {
    /// What a look saw.
    pub(crate) fn new(digests: BTreeMap<String, String>, rules: Vec<TagRule>) -> Self {
        Self { digests, rules }
    }

    /// Whether the look showed `tag` at `digest`, or no rule watches `tag`
    /// so its digest does not matter.
    pub(crate) fn confirms(&self, tag: &str, digest: &str) -> bool {
        !self.rules.iter().any(|rule| rule.matches(tag))
            || self.digests.get(tag).is_some_and(|seen| seen == digest)
    }
}

/// Why a refresh changed nothing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RefreshError {
    /// The registry did not answer; see [`RegistryError`].
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The datastore failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Refreshes repositories; shared by the poll cycle, notifications and new
/// targets.
#[derive(Debug, Clone)]
pub(crate) struct Refresher {
    pub(crate) db: DatabaseConnection,
    /// Builds envelopes (producer name, event id) for the outbox.
    pub(crate) bus: Bus,
    pub(crate) registries: Registries,
    /// Wakes the outbox relay after a commit with events.
    pub(crate) relay: Arc<Notify>,
}

/// A target with its parsed rule and what the rule resolves to now.
struct Decided {
    target: target::Model,
    rule: TagRule,
    decision: Decision,
}

impl Refresher {
    /// Looks at `key` once and records what changed. Callers serialise
    /// refreshes of one repository; the revision check in the store keeps
    /// even concurrent ones from announcing a change twice.
    pub(crate) async fn refresh(
        &self,
        key: &RepositoryKey,
    ) -> Result<(RefreshReport, Seen), RefreshError> {
        let live = targets::live_on(&self.db, key)
            .await
            .context("failed to read the repository's targets")?;
        let mut report = RefreshReport {
            targets: live.len(),
            ..RefreshReport::default()
        };
        let ruled = with_rules(live);
        if ruled.is_empty() {
            return Ok((report, Seen::default()));
        }
        let listing: BTreeSet<String> = self.registries.list_tags(key).await?.into_iter().collect();
        report.tags = listing.len();
        let digests = self.read_digests(key, &listing, &ruled).await?;
        report.digests = digests.len();

        let now = Utc::now();
        let known = repositories::known(&self.db, key)
            .await
            .context("failed to read what is known of the repository")?;
        let stored = sightings::of(&self.db, key)
            .await
            .context("failed to read the repository's sightings")?;
        let digests: BTreeMap<String, String> = digests.into_iter().flatten().collect();
        let mut observation = pushed::observe(known.listing.as_ref(), &stored, &digests, now);
        report.configs = self
            .date_baselines(key, &mut observation, &known.discovered)
            .await?;

        let decided = decide_all(ruled, &observation, &known.discovered);
        let changed_listing = known.listing.as_ref() != Some(&listing);
        let listing = changed_listing.then_some(&listing);
        report.events = self
            .commit(key, listing, &observation, &decided, now)
            .await?;
        let rules = decided.into_iter().map(|d| d.rule).collect();
        Ok((report, Seen::new(digests, rules)))
    }

    /// Reads the digest of every tag some rule matches, concurrently (the
    /// registry's request limit applies). Tags gone since the listing drop
    /// out; any other failure fails the refresh.
    async fn read_digests(
        &self,
        key: &RepositoryKey,
        listing: &BTreeSet<String>,
        ruled: &[(target::Model, TagRule)],
    ) -> Result<Vec<Option<(String, String)>>, RegistryError> {
        let watched = listing
            .iter()
            .filter(|tag| ruled.iter().any(|(_, rule)| rule.matches(tag)));
        let reads = watched.map(|tag| async move {
            let digest = self.registries.digest(key, tag).await?;
            Ok::<_, RegistryError>(digest.map(|d| (tag.clone(), d)))
        });
        try_join_all(reads).await
    }

    /// Fetches the config `created` time of new baseline sightings that
    /// discovery cannot date. Returns how many configs were read.
    async fn date_baselines(
        &self,
        key: &RepositoryKey,
        observation: &mut Observation,
        discovered: &BTreeMap<String, Discovered>,
    ) -> Result<usize, RegistryError> {
        let digests: BTreeSet<String> = observation
            .changed
            .iter()
            .filter_map(|tag| Some((tag, observation.sightings.get(tag)?)))
            .filter(|(tag, seen)| pushed::needs_config_time(seen, discovered.get(*tag)))
            .map(|(_, seen)| seen.digest.clone())
            .collect();
        let reads = digests.iter().map(|digest| async move {
            let created = self.registries.created(key, digest).await?;
            Ok::<_, RegistryError>((digest.as_str(), created))
        });
        let created: BTreeMap<&str, Option<DateTime<Utc>>> =
            try_join_all(reads).await?.into_iter().collect();
        for tag in &observation.changed {
            if let Some(seen) = observation.sightings.get_mut(tag)
                && let Some(time) = created.get(seen.digest.as_str())
            {
                seen.created = *time;
            }
        }
        Ok(created.len())
    }

    /// Writes sightings, listing, resolutions and their events in one
    /// transaction. Returns how many events were committed.
    async fn commit(
        &self,
        key: &RepositoryKey,
        listing: Option<&BTreeSet<String>>,
        observation: &Observation,
        decided: &[Decided],
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let txn = store::begin_write(&self.db)
            .await
            .context("failed to begin the refresh")?;
        sightings::write(&txn, key, observation)
            .await
            .context("failed to store sightings")?;
        if let Some(listing) = listing {
            repositories::store_listing(&txn, key, listing, now)
                .await
                .context("failed to store the tag listing")?;
        }
        let mut events = 0;
        for Decided {
            target, decision, ..
        } in decided
        {
            if self.record_decision(&txn, target, decision, now).await? {
                events += 1;
            }
        }
        targets::mark_checked(&txn, key, now)
            .await
            .context("failed to mark targets checked")?;
        txn.commit().await.context("failed to commit the refresh")?;
        if events > 0 {
            self.relay.notify_one();
        }
        Ok(events)
    }

    /// Stores one target's new resolution and, for a change, its event.
    /// Returns whether an event was committed.
    async fn record_decision(
        &self,
        txn: &impl ConnectionTrait,
        target: &target::Model,
        decision: &Decision,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let previous = target.resolution();
        let Some(next) = decision
            .next
            .as_ref()
            .filter(|_| decision.rewrites(previous.as_ref()))
        else {
            return Ok(false);
        };
        let stored = targets::store_resolution(txn, &target.id, target.revision, next)
            .await
            .with_context(|| format!("failed to store the resolution of target {}", target.id))?;
        let Some(change) = decision.change.filter(|_| stored) else {
            if !stored {
                debug!(target_id = %target.id, "resolution changed meanwhile; left to the other writer");
            }
            return Ok(false);
        };
        let event = events::digest_changed(target, previous.as_ref(), next);
        let envelope = events::envelope(&self.bus, event, now);
        outbox::push(txn, &envelope, now)
            .await
            .with_context(|| format!("failed to queue the event of target {}", target.id))?;
        info!(
            target_id = %target.id,
            repository = %target.repository_key(),
            change = change.as_str(),
            tag = %next.tag,
            digest = %next.digest,
            previous_tag = previous.as_ref().map_or("", |p| p.tag.as_str()),
            previous_digest = previous.as_ref().map_or("", |p| p.digest.as_str()),
            "resolution changed"
        );
        Ok(true)
    }
}

/// Pairs each target with its rule. A rule that does not parse (licensing
/// validates rules, so only a corrupt event could carry one) leaves its
/// target unresolved instead of failing its neighbours.
fn with_rules(live: Vec<target::Model>) -> Vec<(target::Model, TagRule)> {
    live.into_iter()
        .filter_map(|target| match TagRule::parse(&target.tag_rule) {
            Ok(rule) => Some((target, rule)),
            Err(err) => {
                warn!(target_id = %target.id, rule = %target.tag_rule, error = %err, "target has an invalid tag rule; not watched");
                None
            }
        })
        .collect()
}

/// Each target's decision over the tags seen now.
fn decide_all(
    ruled: Vec<(target::Model, TagRule)>,
    observation: &Observation,
    discovered: &BTreeMap<String, Discovered>,
) -> Vec<Decided> {
    let candidates: Vec<Candidate<'_>> = observation
        .sightings
        .iter()
        .map(|(tag, seen)| Candidate {
            tag,
            digest: &seen.digest,
            pushed_at: pushed::pushed_at(seen, discovered.get(tag)),
        })
        .collect();
    ruled
        .into_iter()
        .map(|(target, rule)| {
            let decision = resolution::decide(&rule, target.resolution().as_ref(), &candidates);
            Decided {
                target,
                rule,
                decision,
            }
        })
        .collect()
}
