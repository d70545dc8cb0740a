//! Writing a successful listing: one transaction that rewrites the
//! repositories that changed, deletes those that are gone, queues one
//! event per announced repository, and records the sync.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use tagwarden_bus::Bus;
use tagwarden_registry::provider::clock::SharedClock;
use tagwarden_registry::provider::{RegistryProvider, RepositoryListing};

use crate::coverage::Rules;
use crate::events;
use crate::inventory::{self, Inventory, Plan};
use crate::store::images::{self, Labels};
use crate::store::integrations::{self, SyncOutcome, integration};
use crate::store::{self, outbox, targets};

/// One integration's listing, ready to be written.
#[derive(Debug)]
pub(super) struct Apply<'a> {
    pub(super) db: &'a DatabaseConnection,
    pub(super) bus: &'a Bus,
    pub(super) clock: &'a SharedClock,
    pub(super) integration: &'a integration::Model,
    pub(super) provider: &'a dyn RegistryProvider,
}

impl Apply<'_> {
    /// Writes the listing and returns the recorded outcome.
    pub(super) async fn run(
        &self,
        listing: Vec<RepositoryListing>,
        started_at: DateTime<Utc>,
    ) -> Result<SyncOutcome, DbErr> {
        let listed = inventory::from_listing(listing);
        let labels = self.labels();
        let txn = store::begin_inventory_write(self.db).await?;
        let stored = images::inventory(&txn, &self.integration.id).await?;
        let plan = inventory::plan(&stored, &listed);
        if !plan.is_empty() {
            self.rewrite(&txn, &labels, &plan, &listed).await?;
        }
        let now = self.clock.now();
        let envelopes = self.events(&labels, &plan, &listed, now);
        outbox::push_all(&txn, &envelopes, now).await?;
        let outcome = SyncOutcome {
            started_at,
            finished_at: now,
            error: None,
            repositories: count(listed.len()),
            tags: count(
                listed
                    .values()
                    .flatten()
                    .filter(|e| e.tag.is_some())
                    .count(),
            ),
            discovered: count(plan.discovered.len()),
            removed: count(plan.removed.len()),
        };
        let learned = Some((labels.account.as_str(), labels.registry.as_str()));
        integrations::record_sync(&txn, &self.integration.id, &outcome, learned).await?;
        txn.commit().await?;
        Ok(outcome)
    }

    fn labels(&self) -> Labels {
        Labels {
            integration_id: self.integration.id.clone(),
            integration_name: self.integration.name.clone(),
            provider: self.provider.kind().as_str().to_owned(),
            account: self.provider.account().to_owned(),
            registry: self.provider.registry().to_string(),
        }
    }

    /// Replaces the rows of changed repositories and drops gone ones.
    async fn rewrite(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        labels: &Labels,
        plan: &Plan,
        listed: &Inventory,
    ) -> Result<(), DbErr> {
        let changed: Vec<String> = plan
            .discovered
            .iter()
            .chain(&plan.rewritten)
            .cloned()
            .collect();
        let dropped: Vec<String> = changed.iter().chain(&plan.removed).cloned().collect();
        images::delete_repositories(txn, &labels.integration_id, &dropped).await?;
        let rules = targets::rules_in(txn, &labels.registry).await?;
        let mut rows = Vec::new();
        for name in changed {
            let covering = Rules::parse(rules.get(&name).map_or(&[][..], Vec::as_slice));
            for entry in listed.get(&name).into_iter().flatten() {
                let covered = covering.cover(entry.tag.as_deref());
                rows.push((name.clone(), entry.clone(), covered));
            }
        }
        images::insert(txn, labels, rows).await
    }

    fn events(
        &self,
        labels: &Labels,
        plan: &Plan,
        listed: &Inventory,
        now: DateTime<Utc>,
    ) -> Vec<tagwarden_bus::Envelope> {
        let discovered = plan.discovered.iter().map(|name| {
            let entries = listed.get(name).map_or(&[][..], Vec::as_slice);
            events::image_discovered(labels, name, entries)
        });
        let removed = plan
            .removed
            .iter()
            .map(|name| events::image_removed(labels, name));
        discovered
            .chain(removed)
            .map(|event| events::envelope(self.bus, event, now))
            .collect()
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
