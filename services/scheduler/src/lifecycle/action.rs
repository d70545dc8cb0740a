//! What the state machine decides; the service persists the new state
//! first, then carries these out in order.

use std::time::SystemTime;

use crate::scan::{ScanId, ScanRequest};

/// A decision the service carries out after persisting the new state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Publish `scans.requested`, add a queued history row, and arm a timer
    /// that feeds [`Input::ScanTimedOut`](super::Input::ScanTimedOut) at the request's deadline.
    RequestScan(ScanRequest),
    /// Arm a timer that feeds [`Input::RetryDue`](super::Input::RetryDue) for this attempt at `at`.
    ScheduleRetry {
        /// The failed attempt that will be repeated.
        scan_id: ScanId,
        /// When to repeat it.
        at: SystemTime,
    },
    /// Mark this attempt in history as given up: no answer in time. It is
    /// not final on its own; a new attempt or [`Action::RecordFailed`]
    /// follows in the same list.
    RecordTimedOut {
        /// The attempt given up on.
        scan_id: ScanId,
    },
    /// The scan has finally failed: show it as failed with this reason,
    /// never as a clean result.
    RecordFailed {
        /// The last attempt of the scan.
        scan_id: ScanId,
        /// The last reason it failed.
        error: String,
        /// How many attempts were made.
        attempts: u32,
    },
}
