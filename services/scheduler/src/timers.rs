//! The timer loop: every tick, feed the state machine the timers whose time
//! came by the injected clock — scan deadlines, retry delays and daily
//! scans.
//!
//! Nothing is loaded whole: each kind of timer is one query on an indexed
//! due time, bounded by `timer_batch`, so a tick over 10,000 targets reads
//! only the few that are due. Each due target is then decided in its own
//! transaction, which checks again that it is still due.

use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info};

use crate::scheduler::{Change, Scheduler};
use crate::store::{self, target};

/// Handled event ids are kept this long: past the streams' retention, no
/// redelivery can come.
const REMEMBER_EVENTS: Duration = Duration::from_secs(15 * 24 * 3600);

/// How often the tick and the batch size of the loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cadence {
    pub(crate) tick: Duration,
    pub(crate) batch: u64,
}

/// Ticks until `shutdown`. After each tick, `progress` holds the clock time
/// the tick ran at, so a test can wait for a tick after moving the clock.
pub(crate) async fn run(
    scheduler: Scheduler,
    cadence: Cadence,
    progress: watch::Sender<SystemTime>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    match scheduler.replan_daily().await? {
        0 => {}
        replanned => info!(
            replanned,
            "daily scans replanned for the configured interval"
        ),
    }
    let mut pruned_at: Option<SystemTime> = None;
    loop {
        let now = scheduler.now();
        let fired = tick(&scheduler, now, cadence.batch).await;
        if fired > 0 {
            debug!(fired, "timers fired");
        }
        if pruned_at.is_none_or(|at| now >= at + Duration::from_secs(3600)) {
            prune_handled_events(&scheduler, now).await;
            pruned_at = Some(now);
        }
        progress.send_replace(now);
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = tokio::time::sleep(cadence.tick) => {}
        }
    }
}

/// One pass over due deadlines, retries and daily scans; returns how many
/// targets it fed. Failures are logged per target: one bad row must not
/// stop the others' timers.
async fn tick(scheduler: &Scheduler, now: SystemTime, batch: u64) -> usize {
    let mut fired = 0;
    let kinds = [
        (
            Change::Timer,
            target::waking(scheduler.db(), now, batch).await,
        ),
        (
            Change::Daily,
            target::daily_due(scheduler.db(), now, batch).await,
        ),
    ];
    for (change, due) in kinds {
        let ids = match due {
            Ok(ids) => ids,
            Err(err) => {
                error!(error = format!("{err:#}"), "timers not checked this tick");
                continue;
            }
        };
        for target_id in ids {
            match scheduler.apply(&target_id, None, change.clone()).await {
                Ok(()) => fired += 1,
                Err(err) => error!(target_id, error = format!("{err:#}"), "timer not handled"),
            }
        }
    }
    fired
}

async fn prune_handled_events(scheduler: &Scheduler, now: SystemTime) {
    let cutoff = now
        .checked_sub(REMEMBER_EVENTS)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    match store::forget_handled_before(scheduler.db(), cutoff).await {
        Ok(0) => {}
        Ok(forgotten) => info!(forgotten, "old event ids forgotten"),
        Err(err) => error!(error = format!("{err:#}"), "old event ids not forgotten"),
    }
}
