//! The words the scheduler decides in: which image a target points at, why a
//! scan is wanted, and the request that goes out. They mirror the
//! `tagwarden.events.v1` contract without depending on it, so the decisions
//! stay testable with plain values and the service alone maps to protobuf.

use std::fmt;
use std::time::SystemTime;

/// Identity of one scan attempt.
///
/// Every attempt gets its own id, retries and timeout re-requests included:
/// a late answer from an attempt the scheduler gave up on can then be told
/// apart from the attempt it is waiting for. The service makes the ids
/// (UUIDv7) and hands them in, so decisions are deterministic in tests.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScanId(String);

impl ScanId {
    /// Wraps an id the service generated.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as stored and sent in `scans.requested`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ScanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tag a target's rule resolves to now and the digest it points at, as
/// reported by `tags.digest_changed`.
///
/// Scans are decided by digest: the same digest under another tag is the
/// same image and needs no new scan. The tag travels along for the history.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResolvedTag {
    /// The matching tag, e.g. `production-42`.
    pub tag: String,
    /// The manifest digest, `sha256:…`.
    pub digest: String,
}

impl ResolvedTag {
    /// Pairs a tag with the digest it points at.
    pub fn new(tag: impl Into<String>, digest: impl Into<String>) -> Self {
        Self {
            tag: tag.into(),
            digest: digest.into(),
        }
    }
}

/// Why a scan was requested; one value per proto `ScanReason` (the service
/// maps them), so the Scans page can say why each scan ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScanReason {
    /// The target's first resolution after it was created.
    TargetCreated,
    /// The rule now resolves to another digest.
    DigestChanged,
    /// The daily guarantee: no completed scan within the interval.
    Daily,
    /// The vulnerability database changed under the target's digest.
    DatabaseUpdated,
    /// A later attempt after a retryable failure or a timeout.
    Retry,
}

/// Why a `tags.digest_changed` arrived: the first resolution of a new target
/// (empty previous digest) or a move of an existing one.
///
/// A narrower type than [`ScanReason`] so a change can never claim to be a
/// daily or retry trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeReason {
    /// First resolution of a newly created target.
    TargetCreated,
    /// The resolved tag or digest moved.
    DigestChanged,
}

impl From<ChangeReason> for ScanReason {
    fn from(reason: ChangeReason) -> Self {
        match reason {
            ChangeReason::TargetCreated => Self::TargetCreated,
            ChangeReason::DigestChanged => Self::DigestChanged,
        }
    }
}

/// A decided scan request: everything `scans.requested` needs besides the
/// target id and image location, which the service already holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanRequest {
    /// Fresh id of this attempt.
    pub scan_id: ScanId,
    /// Tag and digest to scan.
    pub resolved: ResolvedTag,
    /// Why this attempt runs.
    pub reason: ScanReason,
    /// 1 for a first attempt, 2 for its first retry, and so on.
    pub attempt: u32,
    /// The attempt this one repeats, so history can chain the attempts.
    pub previous_attempt: Option<ScanId>,
    /// When to give up waiting and feed `Input::ScanTimedOut`; not part of
    /// the event, the service keeps it as a timer.
    pub deadline: SystemTime,
}
