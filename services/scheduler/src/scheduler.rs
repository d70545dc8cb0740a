//! Where events and timers meet the state machine and the store.
//!
//! Every change to a target is one transaction: load the target (locked),
//! write what the change itself says to history, apply the input, write the
//! requested scans to history and the outbox, save the target, remember the
//! event id. Only after the commit is the event acked and the relay woken.
//! A crash at any point leaves either nothing or everything.

mod change;
mod effects;

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tagwarden_bus::Bus;
use tokio::sync::{Mutex, Notify};
use tracing::debug;

use crate::clock::Clock;
use crate::store::{self, StoredTarget, target};
use crate::{Action, DailyConfig, Input, LifecycleConfig, ScanId};

pub(crate) use change::Change;

/// The scheduler's decisions, shared by the consumers and the timer loop.
#[derive(Debug, Clone)]
pub(crate) struct Scheduler {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    bus: Bus,
    clock: Arc<dyn Clock>,
    lifecycle: LifecycleConfig,
    daily: DailyConfig,
    /// One decision at a time in this process. SQLite allows one writer
    /// anyway (a second would fail rather than wait when it upgrades from
    /// reading), and each decision is a handful of rows, so this costs
    /// nothing that matters. Other instances on PostgreSQL are kept apart
    /// by the row lock taken in `load_for_update`.
    writer: Mutex<()>,
    /// Wakes the outbox relay after a commit that queued requests.
    relay: Arc<Notify>,
}

impl Scheduler {
    /// A scheduler writing to `db` and building envelopes for `bus`.
    pub(crate) fn new(
        db: DatabaseConnection,
        bus: Bus,
        clock: Arc<dyn Clock>,
        lifecycle: LifecycleConfig,
        daily: DailyConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                bus,
                clock,
                lifecycle,
                daily,
                writer: Mutex::new(()),
                relay: Arc::new(Notify::new()),
            }),
        }
    }

    /// The datastore, for the timer loop's queries and the relay.
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// The injected clock.
    pub(crate) fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// Notified whenever requests were queued.
    pub(crate) fn relay_wakeup(&self) -> Arc<Notify> {
        self.inner.relay.clone()
    }

    /// Applies `change` to one target, exactly once per `event_id` (timers
    /// pass `None`: the state machine ignores a timer that is no longer
    /// due).
    pub(crate) async fn apply(
        &self,
        target_id: &str,
        event_id: Option<&str>,
        change: Change,
    ) -> anyhow::Result<()> {
        let _writer = self.inner.writer.lock().await;
        let now = self.now();
        let txn = self
            .inner
            .db
            .begin()
            .await
            .context("failed to begin a decision")?;
        if let Some(event_id) = event_id
            && store::was_handled(&txn, event_id).await?
        {
            debug!(target_id, event_id, "event already handled");
            return Ok(());
        }
        let requested = self.change_target(&txn, target_id, change, now).await?;
        if let Some(event_id) = event_id {
            store::mark_handled(&txn, event_id, now).await?;
        }
        txn.commit().await.context("failed to commit a decision")?;
        if requested > 0 {
            self.inner.relay.notify_one();
        }
        Ok(())
    }

    /// Loads the target, lets the change and the state machine act on it,
    /// and saves it if anything changed; returns how many scans it
    /// requested.
    async fn change_target(
        &self,
        txn: &DatabaseTransaction,
        target_id: &str,
        change: Change,
        now: SystemTime,
    ) -> anyhow::Result<usize> {
        let found = target::load_for_update(txn, target_id).await?;
        let mut target = found.unwrap_or_else(|| StoredTarget::new(target_id));
        let before = target.clone();

        let daily = &self.inner.daily;
        let input = change.prepare(txn, &mut target, now, daily).await?;
        let actions = input.map_or_else(Vec::new, |input| self.decide(&mut target, input, now));
        let requested = self.carry_out(txn, &target, &actions, now).await?;
        if target != before {
            target::save(txn, &mut target, daily).await?;
        }
        Ok(requested)
    }

    /// Brings every target's daily due time in line with the configured
    /// daily rule; under the writer lock, so no decision races it.
    pub(crate) async fn replan_daily(&self) -> anyhow::Result<u64> {
        let _writer = self.inner.writer.lock().await;
        target::replan_daily(&self.inner.db, &self.inner.daily).await
    }

    /// Runs the state machine with fresh UUIDv7 scan ids.
    fn decide(&self, target: &mut StoredTarget, input: Input, now: SystemTime) -> Vec<Action> {
        let mut new_scan_id = || ScanId::new(uuid::Uuid::now_v7().to_string());
        let lifecycle = &self.inner.lifecycle;
        target.state.apply(input, now, lifecycle, &mut new_scan_id)
    }
}
