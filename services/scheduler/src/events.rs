//! The bus adapter: one durable consumer per subject the scheduler reads,
//! each decoding its event into a [`Change`] for one target.
//!
//! One subject per consumer because NATS 2.9 takes one filter subject per
//! consumer, and so the scheduler never reads its own `scans.requested`.
//! Digest changes are taken one at a time, in stream order, so a target's
//! changes arrive in the order the watcher saw them; a redelivery that
//! arrives out of order is caught by its event time (see
//! [`StoredTarget::changed_at`](crate::store::StoredTarget)).

use std::time::SystemTime;

use anyhow::anyhow;
use tagwarden_bus::events::DigestChanged;
use tagwarden_bus::{Bus, ConsumerSpec, Delivery, Event, HandlerError, Stream, Subject};
use tagwarden_runtime::shutdown::Tasks;

use crate::scheduler::{Change, Scheduler};
use crate::{ChangeReason, ResolvedTag};

/// One subject the scheduler consumes.
struct Subscription {
    durable: &'static str,
    stream: Stream,
    subject: Subject,
    /// Events of this subject handled at once.
    concurrency: usize,
}

const SUBSCRIPTIONS: [Subscription; 4] = [
    Subscription {
        durable: "scheduler-digest-changed",
        stream: Stream::Tags,
        subject: Subject::DigestChanged,
        concurrency: 1,
    },
    Subscription {
        durable: "scheduler-target-deleted",
        stream: Stream::Targets,
        subject: Subject::TargetDeleted,
        concurrency: 4,
    },
    Subscription {
        durable: "scheduler-scan-completed",
        stream: Stream::Scans,
        subject: Subject::ScanCompleted,
        concurrency: 4,
    },
    Subscription {
        durable: "scheduler-scan-failed",
        stream: Stream::Scans,
        subject: Subject::ScanFailed,
        concurrency: 4,
    },
];

/// Declares the consumers and runs them as tasks of the service.
pub(crate) async fn spawn_consumers(
    bus: &Bus,
    scheduler: &Scheduler,
    tasks: &Tasks,
) -> anyhow::Result<()> {
    for Subscription {
        durable,
        stream,
        subject,
        concurrency,
    } in SUBSCRIPTIONS
    {
        let spec = ConsumerSpec {
            concurrency,
            ..ConsumerSpec::new(durable, stream, Some(subject))
        };
        let consumer = bus.consumer(spec).await?;
        let scheduler = scheduler.clone();
        let shutdown = tasks.shutdown().clone();
        let handler = move |delivery: Delivery| {
            let scheduler = scheduler.clone();
            async move { handle(&scheduler, delivery).await }
        };
        tasks.spawn(durable, async move {
            Ok(consumer.run(handler, shutdown).await?)
        });
    }
    Ok(())
}

/// Decodes one event and applies it; the consumer acks only on `Ok`.
async fn handle(scheduler: &Scheduler, delivery: Delivery) -> Result<(), HandlerError> {
    let observed_at = delivery
        .envelope
        .occurred_at
        .and_then(|t| SystemTime::try_from(t).ok())
        .unwrap_or_else(|| scheduler.now());
    let (target_id, change) = decode(delivery.event(), observed_at)?;
    scheduler
        .apply(&target_id, Some(delivery.event_id()), change)
        .await
        .map_err(HandlerError::Retry)
}

/// The target and change an event names; events that contradict
/// themselves are rejected (dead-lettered), retrying cannot fix them.
fn decode(event: &Event, observed_at: SystemTime) -> Result<(String, Change), HandlerError> {
    let reject = |why: &str| HandlerError::Reject(anyhow!("{why}"));
    let (target_id, change) = match event {
        Event::DigestChanged(changed) => (
            changed.target_id.clone(),
            digest_changed(changed, observed_at)
                .ok_or_else(|| reject("digest change without a digest"))?,
        ),
        Event::TargetDeleted(deleted) => (
            deleted
                .target
                .as_ref()
                .map(|t| t.target_id.clone())
                .unwrap_or_default(),
            Change::Deleted,
        ),
        Event::ScanCompleted(result) => {
            (result.target_id.clone(), Change::Completed(result.clone()))
        }
        Event::ScanFailed(result) => (result.target_id.clone(), Change::Failed(result.clone())),
        _ => return Err(reject("not an event the scheduler consumes")),
    };
    if target_id.is_empty() {
        return Err(reject("event without a target id"));
    }
    Ok((target_id, change))
}

fn digest_changed(changed: &DigestChanged, observed_at: SystemTime) -> Option<Change> {
    if changed.digest.is_empty() {
        return None;
    }
    let reason = if changed.previous_digest.is_empty() {
        ChangeReason::TargetCreated
    } else {
        ChangeReason::DigestChanged
    };
    Some(Change::DigestChanged {
        image: changed.image.clone().unwrap_or_default(),
        resolved: ResolvedTag::new(changed.tag.clone(), changed.digest.clone()),
        reason,
        observed_at,
    })
}

#[cfg(test)]
mod tests {
    use tagwarden_bus::events::{ScanCompleted, TargetDeleted, TargetRef};

    use super::*;

    fn change(digest: &str, previous: &str) -> Event {
        Event::DigestChanged(DigestChanged {
            target_id: "t-1".into(),
            tag: "v2".into(),
            digest: digest.into(),
            previous_digest: previous.into(),
            ..DigestChanged::default()
        })
    }

    fn reason_of(event: &Event) -> ChangeReason {
        match decode(event, SystemTime::UNIX_EPOCH) {
            Ok((_, Change::DigestChanged { reason, .. })) => reason,
            other => panic!("not a digest change: {other:?}"),
        }
    }

    #[test]
    fn a_first_resolution_is_a_created_target_and_a_move_is_a_change() {
        assert_eq!(
            reason_of(&change("sha256:b", "")),
            ChangeReason::TargetCreated
        );
        assert_eq!(
            reason_of(&change("sha256:b", "sha256:a")),
            ChangeReason::DigestChanged
        );
    }

    #[test]
    fn events_without_a_target_or_digest_are_rejected() {
        let epoch = SystemTime::UNIX_EPOCH;
        let no_target = Event::TargetDeleted(TargetDeleted {
            target: Some(TargetRef::default()),
        });
        let no_digest = change("", "sha256:a");
        for event in [no_target, no_digest] {
            assert!(matches!(
                decode(&event, epoch),
                Err(HandlerError::Reject(_))
            ));
        }
        let completed = Event::ScanCompleted(ScanCompleted::default());
        assert!(matches!(
            decode(&completed, epoch),
            Err(HandlerError::Reject(_))
        ));
    }
}
