//! Carrying out the state machine's actions inside the decision's
//! transaction: history rows and queued scan requests. Timers need no
//! writing of their own; the saved state holds their times.

use std::time::SystemTime;

use sea_orm::DatabaseTransaction;
use tagwarden_bus::Event;
use tagwarden_bus::events::ScanRequested;
use tracing::{info, warn};

use super::Scheduler;
use crate::codes::{reason_to_code, reason_to_wire};
use crate::lifecycle::timeout_error;
use crate::store::{self, StoredTarget, scan};
use crate::{Action, ScanRequest};

impl Scheduler {
    /// Carries out `actions` in order; returns how many scans it requested.
    pub(super) async fn carry_out(
        &self,
        txn: &DatabaseTransaction,
        target: &StoredTarget,
        actions: &[Action],
        now: SystemTime,
    ) -> anyhow::Result<usize> {
        let mut requested = 0;
        for action in actions {
            match action {
                Action::RequestScan(request) => {
                    self.request_scan(txn, target, request, now).await?;
                    requested += 1;
                }
                Action::ScheduleRetry { scan_id, at } => {
                    let wait = at.duration_since(now).unwrap_or_default();
                    info!(%scan_id, target_id = %target.id, retry_in = ?wait, "scan retry scheduled");
                }
                Action::RecordTimedOut { scan_id } => {
                    let error = timeout_error(self.inner.lifecycle.scan_timeout);
                    warn!(%scan_id, target_id = %target.id, "scan timed out");
                    scan::record_given_up(txn, scan_id.as_str(), &error, now).await?;
                }
                Action::RecordFailed {
                    scan_id,
                    error,
                    attempts,
                } => {
                    warn!(%scan_id, target_id = %target.id, attempts, error, "scan failed for good");
                    scan::record_given_up(txn, scan_id.as_str(), error, now).await?;
                }
            }
        }
        Ok(requested)
    }

    /// A queued history row and an outbox entry, in the same transaction.
    async fn request_scan(
        &self,
        txn: &DatabaseTransaction,
        target: &StoredTarget,
        request: &ScanRequest,
        now: SystemTime,
    ) -> anyhow::Result<()> {
        scan::record_request(txn, target, request, now).await?;
        let event = Event::ScanRequested(ScanRequested {
            scan_id: request.scan_id.to_string(),
            target_id: target.id.clone(),
            image: Some(target.image.clone()),
            tag: request.resolved.tag.clone(),
            digest: request.resolved.digest.clone(),
            reason: reason_to_wire(request.reason).into(),
            attempt: request.attempt,
        });
        let envelope = self.inner.bus.envelope(event);
        store::enqueue(txn, &envelope, now).await?;
        info!(
            scan_id = %request.scan_id,
            target_id = %target.id,
            tag = %request.resolved.tag,
            digest = %request.resolved.digest,
            reason = reason_to_code(request.reason),
            attempt = request.attempt,
            "scan requested"
        );
        Ok(())
    }
}
