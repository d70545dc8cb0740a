//! The scheduler's domain logic: when a target is scanned.
//!
//! - [`lifecycle`] is the per-target state machine: one scan at a time, one
//!   follow-up for the newest digest, retries, timeouts and deletion.
//! - [`daily`] decides when a target is due for its daily scan, spread by a
//!   per-target offset so thousands of targets do not fire at once.
//!
//! Both are pure: the service passes in the time, fresh scan ids and the
//! stored state, persists what comes back and publishes the requested
//! scans. That keeps every scheduling rule testable without a bus, a
//! database or a clock.

pub mod daily;
pub mod lifecycle;
pub mod scan;

pub use daily::{DailyConfig, DailyConfigError, due_for_daily, next_daily_at};
pub use lifecycle::{Action, Input, LifecycleConfig, Phase, Scan, TargetState};
pub use scan::{ChangeReason, ResolvedTag, ScanId, ScanReason, ScanRequest};
