//! The periodic sync: every integration whose last sync started an
//! interval ago (or that never synced) is synced, several at once up to a
//! bound. Each sync records its own outcome, so one failing or slow
//! integration neither stops nor wipes the others.

use std::time::Duration;

use chrono::TimeDelta;
use futures::StreamExt as _;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use super::Syncer;
use crate::store::integrations;

/// The longest time between two looks for due integrations.
const TICK: Duration = Duration::from_secs(30);

/// Runs periodic syncs until shutdown.
#[derive(Debug, Clone)]
pub(crate) struct Periodic {
    pub(crate) syncer: Syncer,
    pub(crate) interval: Duration,
    pub(crate) concurrency: usize,
    /// Notified when an integration is added, so it syncs at once.
    pub(crate) wake: Arc<Notify>,
}

impl Periodic {
    pub(crate) async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let tick = self.interval.min(TICK);
        loop {
            if let Err(err) = self.sync_due(&shutdown).await {
                error!(error = %err, "periodic sync could not read integrations");
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(tick) => {}
            }
        }
    }

    /// Syncs every due integration, `concurrency` at a time.
    async fn sync_due(&self, shutdown: &CancellationToken) -> Result<(), sea_orm::DbErr> {
        let now = self.syncer.inner.clock.now();
        let interval = TimeDelta::from_std(self.interval).unwrap_or(TimeDelta::MAX);
        let due: Vec<String> = integrations::all(self.syncer.db())
            .await?
            .into_iter()
            .filter(|i| i.sync_started_at.is_none_or(|at| at + interval <= now))
            .map(|i| i.id)
            .collect();
        futures::stream::iter(due)
            .take_until(shutdown.cancelled())
            .for_each_concurrent(self.concurrency.max(1), |id| async move {
                if let Err(err) = self.syncer.sync(&id).await {
                    warn!(integration_id = %id, error = %err, "sync did not run");
                }
            })
            .await;
        Ok(())
    }
}
