//! What the service feeds the state machine: bus events and timers,
//! already decoded and reduced to what the decisions need.

use crate::scan::{ChangeReason, ResolvedTag, ScanId};

/// Something that happened to one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// `tags.digest_changed`: the rule resolves to this tag and digest now.
    DigestChanged {
        /// The newest tag and digest.
        resolved: ResolvedTag,
        /// First resolution of a new target, or a move.
        reason: ChangeReason,
    },
    /// The daily planner found the target due (see [`crate::daily`]).
    DailyDue,
    /// The vulnerability database was updated.
    DatabaseUpdated,
    /// `scans.completed` for this scan id.
    ScanCompleted {
        /// The attempt that completed.
        scan_id: ScanId,
    },
    /// `scans.failed` for this scan id.
    ScanFailed {
        /// The attempt that failed.
        scan_id: ScanId,
        /// The scanner's words for what went wrong.
        error: String,
        /// False when retrying cannot help.
        retryable: bool,
    },
    /// The deadline of this attempt passed without an answer.
    ScanTimedOut {
        /// The attempt given up on.
        scan_id: ScanId,
    },
    /// The retry delay after this failed attempt is over.
    RetryDue {
        /// The failed attempt to repeat.
        scan_id: ScanId,
    },
    /// `targets.deleted`.
    TargetDeleted,
}
