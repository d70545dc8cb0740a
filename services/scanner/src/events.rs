//! The bus adapter: the work queue of scan requests, and the two events
//! that feed the scanner's own projections.
//!
//! - `scans.requested`: one durable consumer that every instance shares,
//!   so each request goes to one instance; `concurrency` handlers per
//!   instance, and an ack wait longer than the slowest scan. A request is
//!   acked only once its outcome is committed; a redelivery of a scan
//!   already recorded does nothing (the scan id is written once).
//! - `targets.deleted`: the target stops being live (no rematches, and a
//!   request still in flight for it fails as "deleted").
//! - `vulndb.updated`: wakes the rematch loop of whichever instance gets
//!   it; every instance also looks on its own timer.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use tagwarden_bus::events::{ScanReason, ScanRequested};
use tagwarden_bus::{Bus, ConsumerSpec, Delivery, Event, HandlerError, Stream, Subject};
use tagwarden_runtime::shutdown::Tasks;
use tokio::sync::Notify;

use crate::record::ScanJob;
use crate::scan::Scanner;
use crate::store::target;

/// The durable name all instances share for scan requests.
pub(crate) const SCAN_REQUESTS: &str = "scanner-scan-requested";
const TARGET_DELETED: &str = "scanner-target-deleted";
const VULNDB_UPDATED: &str = "scanner-vulndb-updated";

/// How the work queue is consumed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkQueue {
    pub(crate) concurrency: usize,
    pub(crate) ack_wait: Duration,
}

/// Declares the consumers and runs them as tasks of the service.
pub(crate) async fn spawn_consumers(
    bus: &Bus,
    scanner: &Scanner,
    queue: WorkQueue,
    rematch: Arc<Notify>,
    tasks: &Tasks,
) -> anyhow::Result<()> {
    let spec = ConsumerSpec {
        concurrency: queue.concurrency.max(1),
        ack_wait: queue.ack_wait,
        ..ConsumerSpec::new(SCAN_REQUESTS, Stream::Scans, Some(Subject::ScanRequested))
    };
    let consumer = bus.consumer(spec).await?;
    let shutdown = tasks.shutdown().clone();
    let worker = scanner.clone();
    let handler = move |delivery: Delivery| {
        let scanner = worker.clone();
        async move { scan_requested(&scanner, &delivery).await }
    };
    tasks.spawn(SCAN_REQUESTS, async move {
        Ok(consumer.run(handler, shutdown).await?)
    });

    let spec = ConsumerSpec::new(
        TARGET_DELETED,
        Stream::Targets,
        Some(Subject::TargetDeleted),
    );
    let consumer = bus.consumer(spec).await?;
    let shutdown = tasks.shutdown().clone();
    let recorder = scanner.recorder.clone();
    let handler = move |delivery: Delivery| {
        let recorder = recorder.clone();
        async move {
            let Event::TargetDeleted(deleted) = delivery.event() else {
                return Err(HandlerError::Reject(anyhow!("not a targets.deleted event")));
            };
            let target = deleted.target.clone().unwrap_or_default();
            if target.target_id.is_empty() {
                return Err(HandlerError::Reject(anyhow!(
                    "targets.deleted without a target id"
                )));
            }
            let image = target.image.unwrap_or_default();
            let now = recorder.now();
            target::mark_deleted(recorder.db(), &target.target_id, &image, now).await?;
            Ok(())
        }
    };
    tasks.spawn(TARGET_DELETED, async move {
        Ok(consumer.run(handler, shutdown).await?)
    });

    let spec = ConsumerSpec::new(VULNDB_UPDATED, Stream::VulnDb, Some(Subject::VulnDbUpdated));
    let consumer = bus.consumer(spec).await?;
    let shutdown = tasks.shutdown().clone();
    let handler = move |_: Delivery| {
        let rematch = rematch.clone();
        async move {
            rematch.notify_one();
            Ok(())
        }
    };
    tasks.spawn(VULNDB_UPDATED, async move {
        Ok(consumer.run(handler, shutdown).await?)
    });
    Ok(())
}

/// Decodes a request and runs the scan; the consumer acks only on `Ok`.
async fn scan_requested(scanner: &Scanner, delivery: &Delivery) -> Result<(), HandlerError> {
    let Event::ScanRequested(request) = delivery.event() else {
        return Err(HandlerError::Reject(anyhow!("not a scans.requested event")));
    };
    let job = job(request).map_err(|why| HandlerError::Reject(anyhow!(why)))?;
    scanner.run(&job).await.map_err(HandlerError::Retry)
}

/// The job a request describes; requests without the ids every result
/// must carry are refused (dead-lettered): no result could name them.
fn job(request: &ScanRequested) -> Result<ScanJob, &'static str> {
    if request.scan_id.is_empty() {
        return Err("scan request without a scan id");
    }
    if request.target_id.is_empty() {
        return Err("scan request without a target id");
    }
    Ok(ScanJob {
        scan_id: request.scan_id.clone(),
        target_id: request.target_id.clone(),
        image: request.image.clone().unwrap_or_default(),
        tag: request.tag.clone(),
        digest: request.digest.clone(),
        reason: ScanReason::try_from(request.reason).unwrap_or(ScanReason::Unspecified),
        attempt: request.attempt.max(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_without_ids_are_refused() {
        let request = ScanRequested {
            scan_id: "s-1".into(),
            target_id: "t-1".into(),
            digest: "sha256:x".into(),
            reason: ScanReason::Daily.into(),
            ..ScanRequested::default()
        };
        let job = job(&request).unwrap();
        assert_eq!((job.reason, job.attempt), (ScanReason::Daily, 1));
        for broken in [
            ScanRequested {
                scan_id: String::new(),
                ..request.clone()
            },
            ScanRequested {
                target_id: String::new(),
                ..request
            },
        ] {
            assert!(super::job(&broken).is_err());
        }
    }
}
