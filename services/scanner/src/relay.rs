//! The outbox relay: publishes committed events in commit order, and
//! deletes each once JetStream confirmed it stored it.
//!
//! Woken after every commit that queued an event, and every
//! `outbox_retry` besides, so events queued while NATS was unreachable
//! (or before a crash) go out once it is back.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use prost::Message as _;
use sea_orm::DatabaseConnection;
use tagwarden_bus::{Bus, Envelope};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::store::outbox;

/// Envelopes read per round trip to the store.
const BATCH: u64 = 100;

/// Publishes until `shutdown`. Whatever is left stays queued for the next
/// start.
pub(crate) async fn run(
    db: DatabaseConnection,
    bus: Bus,
    wakeup: Arc<Notify>,
    retry: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        match publish_pending(&db, &bus).await {
            Ok(0) => {}
            Ok(published) => debug!(published, "events published"),
            Err(err) => warn!(error = format!("{err:#}"), "events not published yet"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = wakeup.notified() => {}
            () = tokio::time::sleep(retry) => {}
        }
    }
}

/// Publishes everything queued; stops at the first failure so order holds.
async fn publish_pending(db: &DatabaseConnection, bus: &Bus) -> anyhow::Result<usize> {
    let mut published = 0;
    loop {
        let batch = outbox::pending(db, BATCH).await?;
        if batch.is_empty() {
            return Ok(published);
        }
        for entry in batch {
            let envelope = Envelope::decode(entry.envelope.as_slice())
                .with_context(|| format!("failed to decode queued event {}", entry.event_id))?;
            bus.publish_envelope(&envelope)
                .await
                .with_context(|| format!("failed to publish event {}", entry.event_id))?;
            outbox::remove(db, entry.id).await?;
            published += 1;
        }
    }
}
