//! The outbox relay: publishes the events that syncs and integration
//! removals committed to the outbox table, in commit order.
//!
//! It runs at start, so events committed before a crash are sent after the
//! restart; it is woken after each commit, so events go out at once; and it
//! sweeps every [`SWEEP`] in case rows were left by another instance. A row
//! is marked published only after JetStream confirmed it. A crash between
//! the two sends the row again, with the same event id, and JetStream's
//! duplicate window drops the repeat: subscribers see each event once. The
//! window is two minutes; a service that stays down longer than that after
//! such a crash sends the event twice, which consumers absorb because
//! every handler is idempotent.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use prost::Message as _;
use sea_orm::DatabaseConnection;
use tagwarden_bus::{Bus, Envelope};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::clock::SharedClock;
use crate::store;

/// How often the relay looks for rows without being woken.
const SWEEP: Duration = Duration::from_secs(30);

/// How long published rows are kept.
const KEEP: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Rows read per query.
const BATCH: u64 = 100;

/// The longest wait between attempts while NATS or the database fails.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Publishes outbox rows until shutdown.
#[derive(Debug, Clone)]
pub(crate) struct Relay {
    pub(crate) db: DatabaseConnection,
    pub(crate) bus: Bus,
    pub(crate) clock: SharedClock,
    /// Notified after each commit that wrote to the outbox.
    pub(crate) wake: Arc<Notify>,
}

impl Relay {
    /// Publishes pending rows now, then whenever woken, swept or retrying.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut failures: u32 = 0;
        loop {
            let wait = match self.publish_pending().await {
                Ok(_) => {
                    failures = 0;
                    self.prune().await;
                    SWEEP
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    let delay = backoff(failures);
                    let error = format!("{err:#}");
                    warn!(error, failures, retry_in = ?delay, "outbox relay failed");
                    delay
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Publishes every pending row, oldest first, and returns how many. Stops
    /// at the first failure, so a later event never overtakes an earlier one.
    pub(crate) async fn publish_pending(&self) -> anyhow::Result<usize> {
        let mut published = 0;
        loop {
            let rows = store::outbox::pending(&self.db, BATCH)
                .await
                .context("failed to read the outbox")?;
            let last_batch = rows.len() < usize::try_from(BATCH).unwrap_or(usize::MAX);
            for row in rows {
                let envelope = Envelope::decode(row.envelope.as_slice())
                    .with_context(|| format!("outbox row {} holds no envelope", row.id))?;
                self.bus
                    .publish_envelope(&envelope)
                    .await
                    .with_context(|| format!("failed to publish event {}", row.event_id))?;
                store::outbox::mark_published(&self.db, row.id, self.clock.now())
                    .await
                    .with_context(|| format!("failed to mark event {} published", row.event_id))?;
                debug!(event_id = %row.event_id, subject = %row.subject, "event published");
                published += 1;
            }
            if last_batch {
                return Ok(published);
            }
        }
    }
}

impl Relay {
    /// Deletes rows published more than [`KEEP`] ago; a failure only
    /// delays that.
    async fn prune(&self) {
        let before = self.clock.now() - KEEP;
        if let Err(err) = store::outbox::prune(&self.db, before).await {
            warn!(error = %err, "outbox prune failed");
        }
    }
}

/// 1 s after the first failure, doubling up to [`MAX_BACKOFF`].
fn backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    Duration::from_secs(1)
        .saturating_mul(1 << exponent)
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let delays: Vec<u64> = (1..=7).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
