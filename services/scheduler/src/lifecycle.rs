//! The scheduling state machine of one target.
//!
//! The service keeps one [`TargetState`] per target, feeds it each
//! [`Input`] with the current time, persists the state, and carries out the
//! returned [`Action`]s. Nothing here touches a clock, the bus or a store,
//! so every rule below is a plain function of state and input.
//!
//! The rules:
//! - At most one scan attempt per target is in flight. Changes seen while
//!   one runs do not queue up: the follow-up is derived from the newest
//!   known digest when the running scan ends (see
//!   [`TargetState::pending_follow_up`]), so any number of changes leave
//!   exactly one follow-up, and a change back to the digest being scanned
//!   leaves none.
//! - A change to the digest already known (a redelivered event, or the same
//!   image under a new tag) starts nothing; the tag is still remembered.
//! - A retryable failure waits with growing delay, then runs again as a new
//!   attempt with a new scan id; a timeout re-requests at once. After the
//!   last attempt, or on a non-retryable failure, the scan is recorded as
//!   failed with the scanner's reason.
//! - A newer digest supersedes a failing scan: retrying an image the target
//!   no longer points at helps nobody, so it is recorded as failed and the
//!   newest digest is scanned at once.
//! - A deleted target starts nothing. A scan in flight may still complete or
//!   fail and is recorded; a waiting retry is cancelled and recorded failed.
//! - An event for a scan id that is not the attempt in flight (a late answer
//!   after a timeout re-request, a redelivery, a timer that fired twice)
//!   changes nothing and decides nothing. The service still writes such a
//!   result to history; the target just keeps waiting for its own attempt,
//!   so two attempts never overlap from the scheduler's point of view.

mod action;
mod config;
mod input;
#[cfg(test)]
mod sequences;
#[cfg(test)]
mod tests;

use std::time::SystemTime;

pub use action::Action;
pub use config::LifecycleConfig;
/// The failure text of an attempt given up on for want of an answer, for
/// the history row that [`Action::RecordTimedOut`] asks for.
pub(crate) use config::timeout_error;
pub use input::Input;

use crate::scan::{ChangeReason, ResolvedTag, ScanId, ScanReason, ScanRequest};

/// One attempt the scheduler is responsible for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    /// This attempt's id.
    pub id: ScanId,
    /// What it scans.
    pub resolved: ResolvedTag,
    /// Why it was requested.
    pub reason: ScanReason,
    /// 1-based attempt number.
    pub attempt: u32,
}

/// Where the target is in its scan cycle.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Phase {
    /// No scan in flight and none waiting.
    #[default]
    Idle,
    /// One attempt is in flight.
    Scanning {
        /// The attempt in flight.
        scan: Scan,
        /// When it is given up on.
        deadline: SystemTime,
        /// The database was updated after this attempt was requested, so
        /// its digest wants matching again once it completes.
        database_updated: bool,
    },
    /// An attempt failed and the next one waits for its delay. Nothing is
    /// in flight, but the scan is not over.
    AwaitingRetry {
        /// The failed attempt.
        scan: Scan,
        /// When the next attempt starts.
        retry_at: SystemTime,
        /// The scanner's reason, kept for the failure record.
        error: String,
    },
}

/// Everything the scheduler remembers about one target; plain fields so
/// the service can keep it as one row.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TargetState {
    /// Newest tag and digest seen; `None` until the first resolution.
    pub current: Option<ResolvedTag>,
    /// Scan cycle position.
    pub phase: Phase,
    /// Set by `targets.deleted`; nothing new starts afterwards.
    pub deleted: bool,
    /// When a scan of this target last completed.
    pub last_completed_at: Option<SystemTime>,
    /// When a scan of this target last finally failed.
    pub last_failed_at: Option<SystemTime>,
}

/// One call's context: the injected clock, limits, id source and the
/// decisions collected so far.
struct Step<'a> {
    now: SystemTime,
    config: &'a LifecycleConfig,
    new_scan_id: &'a mut dyn FnMut() -> ScanId,
    actions: Vec<Action>,
}

impl TargetState {
    /// A target the scheduler has not heard of yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one input at time `now` and returns what to do, in order.
    /// `new_scan_id` is called once per requested attempt.
    pub fn apply(
        &mut self,
        input: Input,
        now: SystemTime,
        config: &LifecycleConfig,
        new_scan_id: &mut dyn FnMut() -> ScanId,
    ) -> Vec<Action> {
        let mut step = Step {
            now,
            config,
            new_scan_id,
            actions: Vec::new(),
        };
        match input {
            Input::DigestChanged { resolved, reason } => {
                self.on_digest_changed(resolved, reason, &mut step);
            }
            Input::DailyDue => self.on_trigger(ScanReason::Daily, &mut step),
            Input::DatabaseUpdated => self.on_trigger(ScanReason::DatabaseUpdated, &mut step),
            Input::ScanCompleted { scan_id } => self.on_completed(&scan_id, &mut step),
            Input::ScanFailed {
                scan_id,
                error,
                retryable,
            } => self.on_failed(&scan_id, error, retryable, &mut step),
            Input::ScanTimedOut { scan_id } => self.on_timed_out(&scan_id, &mut step),
            Input::RetryDue { scan_id } => self.on_retry_due(&scan_id, &mut step),
            Input::TargetDeleted => self.on_deleted(&mut step),
        }
        step.actions
    }

    /// What starts when the attempt in flight completes: the newest digest
    /// if it differs from the one being scanned, else the same digest again
    /// if the database changed meanwhile, else nothing. Always `None` for a
    /// deleted target or when nothing is in flight.
    pub fn pending_follow_up(&self) -> Option<(ResolvedTag, ScanReason)> {
        let Phase::Scanning {
            scan,
            database_updated,
            ..
        } = &self.phase
        else {
            return None;
        };
        if let Some(newer) = self.newer_digest_than(scan) {
            return Some((newer, ScanReason::DigestChanged));
        }
        let current = self
            .current
            .clone()
            .filter(|_| *database_updated && !self.deleted)?;
        Some((current, ScanReason::DatabaseUpdated))
    }

    /// The time the daily rule counts from: the last completion or final
    /// failure, whichever is later. A final failure counts so that an image
    /// that cannot be scanned is tried again an interval later rather than
    /// straight away, all day long. `None` until a scan has ended.
    pub fn daily_anchor(&self) -> Option<SystemTime> {
        self.last_completed_at.max(self.last_failed_at)
    }

    fn on_digest_changed(&mut self, resolved: ResolvedTag, reason: ChangeReason, step: &mut Step) {
        if self.deleted {
            return;
        }
        let known = self
            .current
            .as_ref()
            .is_some_and(|c| c.digest == resolved.digest);
        self.current = Some(resolved.clone());
        match &self.phase {
            Phase::Idle if !known => self.start(resolved, reason.into(), 1, None, step),
            Phase::AwaitingRetry { scan, error, .. } if scan.resolved.digest != resolved.digest => {
                let (scan, error) = (scan.clone(), error.clone());
                self.fail(scan, error, step);
            }
            // Idle and known: a redelivery or a new tag on the same image.
            // Scanning: the follow-up is derived from `current` at the end.
            _ => {}
        }
    }

    /// Daily and database triggers: start a scan of the current digest when
    /// idle; otherwise the scan already under way, or its follow-up, covers
    /// them (a database update remembers to match the running digest again).
    fn on_trigger(&mut self, reason: ScanReason, step: &mut Step) {
        if self.deleted {
            return;
        }
        match &mut self.phase {
            Phase::Idle => {
                if let Some(current) = self.current.clone() {
                    self.start(current, reason, 1, None, step);
                }
            }
            Phase::Scanning {
                database_updated, ..
            } if reason == ScanReason::DatabaseUpdated => *database_updated = true,
            Phase::Scanning { .. } | Phase::AwaitingRetry { .. } => {}
        }
    }

    fn on_completed(&mut self, scan_id: &ScanId, step: &mut Step) {
        if self.in_flight(scan_id).is_none() {
            return;
        }
        let follow_up = self.pending_follow_up();
        self.phase = Phase::Idle;
        self.last_completed_at = Some(step.now);
        if let Some((resolved, reason)) = follow_up {
            self.start(resolved, reason, 1, None, step);
        }
    }

    fn on_failed(&mut self, scan_id: &ScanId, error: String, retryable: bool, step: &mut Step) {
        let Some(scan) = self.in_flight(scan_id).cloned() else {
            return;
        };
        if !retryable || !self.worth_another_attempt(&scan, step.config) {
            self.fail(scan, error, step);
            return;
        }
        let at = step.now + step.config.retry_delay(scan.attempt);
        step.actions.push(Action::ScheduleRetry {
            scan_id: scan.id.clone(),
            at,
        });
        self.phase = Phase::AwaitingRetry {
            scan,
            retry_at: at,
            error,
        };
    }

    fn on_timed_out(&mut self, scan_id: &ScanId, step: &mut Step) {
        let Phase::Scanning { scan, deadline, .. } = &self.phase else {
            return;
        };
        // A timer that fires early changes nothing: the deadline stays in
        // the state, so the service can fire it again.
        if scan.id != *scan_id || step.now < *deadline {
            return;
        }
        let scan = scan.clone();
        step.actions.push(Action::RecordTimedOut {
            scan_id: scan.id.clone(),
        });
        if self.worth_another_attempt(&scan, step.config) {
            self.retry(scan, step);
        } else {
            self.fail(scan, config::timeout_error(step.config.scan_timeout), step);
        }
    }

    fn on_retry_due(&mut self, scan_id: &ScanId, step: &mut Step) {
        let Phase::AwaitingRetry { scan, retry_at, .. } = &self.phase else {
            return;
        };
        if scan.id != *scan_id || step.now < *retry_at {
            return;
        }
        let scan = scan.clone();
        self.retry(scan, step);
    }

    fn on_deleted(&mut self, step: &mut Step) {
        self.deleted = true;
        if let Phase::AwaitingRetry { scan, error, .. } = &self.phase {
            let (scan, error) = (scan.clone(), error.clone());
            self.fail(scan, error, step);
        }
    }

    /// The attempt in flight, if its id is `scan_id`.
    fn in_flight(&self, scan_id: &ScanId) -> Option<&Scan> {
        match &self.phase {
            Phase::Scanning { scan, .. } if scan.id == *scan_id => Some(scan),
            _ => None,
        }
    }

    /// The newest resolution, when it is a digest other than `scan`'s and
    /// the target is live.
    fn newer_digest_than(&self, scan: &Scan) -> Option<ResolvedTag> {
        let current = self.current.as_ref()?;
        (!self.deleted && current.digest != scan.resolved.digest).then(|| current.clone())
    }

    fn worth_another_attempt(&self, scan: &Scan, config: &LifecycleConfig) -> bool {
        !self.deleted
            && config.may_retry_after(scan.attempt)
            && self.newer_digest_than(scan).is_none()
    }

    /// Ends a scan as failed, then starts the newest digest if it differs.
    /// A database follow-up is dropped: a failed scan left no package list
    /// to match again.
    fn fail(&mut self, scan: Scan, error: String, step: &mut Step) {
        let newer = self.newer_digest_than(&scan);
        step.actions.push(Action::RecordFailed {
            scan_id: scan.id,
            error,
            attempts: scan.attempt,
        });
        self.phase = Phase::Idle;
        self.last_failed_at = Some(step.now);
        if let Some(newer) = newer {
            self.start(newer, ScanReason::DigestChanged, 1, None, step);
        }
    }

    fn retry(&mut self, scan: Scan, step: &mut Step) {
        let attempt = scan.attempt + 1;
        self.start(
            scan.resolved,
            ScanReason::Retry,
            attempt,
            Some(scan.id),
            step,
        );
    }

    fn start(
        &mut self,
        resolved: ResolvedTag,
        reason: ScanReason,
        attempt: u32,
        previous_attempt: Option<ScanId>,
        step: &mut Step,
    ) {
        let scan_id = (step.new_scan_id)();
        let deadline = step.now + step.config.scan_timeout;
        step.actions.push(Action::RequestScan(ScanRequest {
            scan_id: scan_id.clone(),
            resolved: resolved.clone(),
            reason,
            attempt,
            previous_attempt,
            deadline,
        }));
        let scan = Scan {
            id: scan_id,
            resolved,
            reason,
            attempt,
        };
        self.phase = Phase::Scanning {
            scan,
            deadline,
            database_updated: false,
        };
    }
}
