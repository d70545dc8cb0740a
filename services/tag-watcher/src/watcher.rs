//! When repositories are refreshed: every poll cycle (all watched
//! repositories, one listing each however many targets share one), and at
//! once when a notification, a new target or discovery asks.
//!
//! Refreshes of one repository never overlap: each holds the repository's
//! lock. A request arriving while a refresh of the same repository waits
//! to start is merged into it; one arriving after the listing was read
//! queues one more, so a push is never missed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::{Notify, OwnedMutexGuard};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::expectation::Expectations;
use crate::refresh::{RefreshError, RefreshReport, Refresher, Seen};
use crate::repository::{RefreshSoon, RepositoryKey};
use crate::store::targets;

/// What one poll cycle did, summed over its repositories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// Repositories with live targets.
    pub repositories: usize,
    /// Repositories refreshed (looked at, whatever changed).
    pub refreshed: usize,
    /// Repositories skipped because their registry is backed off.
    pub deferred: usize,
    /// Repositories whose refresh failed; they keep their state.
    pub failed: usize,
    /// Totals of the refreshes.
    pub work: RefreshReport,
    /// Wall time of the cycle.
    pub elapsed: Duration,
}

/// How one repository's turn ended.
enum Turn {
    Refreshed(RefreshReport),
    Deferred(Instant),
    Failed,
}

/// Schedules refreshes. Cheap to clone.
#[derive(Clone)]
pub struct Watcher {
    inner: Arc<Inner>,
}

struct Inner {
    refresher: Refresher,
    /// Repositories refreshed at once in a cycle.
    concurrency: usize,
    locks: Mutex<HashMap<RepositoryKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Requested refreshes that have not started listing yet.
    queued: Mutex<HashSet<RepositoryKey>>,
    /// Notified pushes not seen yet.
    expectations: Mutex<Expectations>,
    /// Requested refreshes queued or running, and a wake-up when none are.
    requested: AtomicUsize,
    idle: Notify,
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("concurrency", &self.inner.concurrency)
            .field("requested", &self.inner.requested.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Watcher {
    pub(crate) fn new(
        refresher: Refresher,
        concurrency: usize,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                refresher,
                concurrency: concurrency.max(1),
                locks: Mutex::default(),
                queued: Mutex::default(),
                expectations: Mutex::default(),
                requested: AtomicUsize::new(0),
                idle: Notify::new(),
                tasks: TaskTracker::new(),
                shutdown,
            }),
        }
    }

    /// Runs one poll cycle now and returns when every watched repository
    /// has had its turn. The timer calls this; tests call it instead of
    /// waiting for the timer.
    pub async fn poll_now(&self) -> CycleReport {
        let started = Instant::now();
        let repositories = match targets::watched_repositories(&self.inner.refresher.db).await {
            Ok(repositories) => repositories,
            Err(err) => {
                warn!(error = %err, "poll cycle skipped: cannot read the watched repositories");
                return CycleReport::default();
            }
        };
        let mut report = CycleReport {
            repositories: repositories.len(),
            ..CycleReport::default()
        };
        let mut turns = futures::stream::iter(repositories)
            .map(|key| async move { self.turn(&key).await })
            .buffer_unordered(self.inner.concurrency);
        while let Some(turn) = turns.next().await {
            match turn {
                Turn::Refreshed(work) => {
                    report.refreshed += 1;
                    add(&mut report.work, work);
                }
                Turn::Deferred(_) => report.deferred += 1,
                Turn::Failed => report.failed += 1,
            }
        }
        report.elapsed = started.elapsed();
        report
    }

    /// Returns once no requested refresh is queued or running. Looks
    /// scheduled for later (a backed-off registry, a notified push not
    /// visible yet) are not waited for.
    pub async fn wait_idle(&self) {
        loop {
            let idle = self.inner.idle.notified();
            if self.inner.requested.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Polls every `interval` plus a random part of `jitter`, so that many
    /// watchers (or restarts) do not poll registries in step. A zero
    /// interval turns polling off: cycles run only through [`poll_now`].
    ///
    /// [`poll_now`]: Watcher::poll_now
    pub(crate) async fn poll_forever(
        self,
        interval: Duration,
        jitter: Duration,
    ) -> anyhow::Result<()> {
        if interval.is_zero() {
            info!("polling off; repositories are refreshed on request only");
            return Ok(());
        }
        let mut wait = jittered(Duration::ZERO, jitter);
        loop {
            tokio::select! {
                () = self.inner.shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
            let report = self.poll_now().await;
            info!(
                repositories = report.repositories,
                refreshed = report.refreshed,
                deferred = report.deferred,
                failed = report.failed,
                tags = report.work.tags,
                digests = report.work.digests,
                events = report.work.events,
                elapsed_ms = report.elapsed.as_millis(),
                "poll cycle done"
            );
            wait = jittered(interval, jitter);
        }
    }

    /// Waits for requested refreshes to finish; for shutdown.
    pub(crate) async fn drain(self) -> anyhow::Result<()> {
        self.inner.shutdown.cancelled().await;
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
        Ok(())
    }

    /// One repository's turn: wait for its lock, then refresh unless its
    /// registry is backed off.
    async fn turn(&self, key: &RepositoryKey) -> Turn {
        let guard = self.lock(key).await;
        self.inner
            .queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
        let registries = &self.inner.refresher.registries;
        let turn = match registries.paused_until(&key.registry) {
            Some(until) => {
                debug!(repository = %key, "registry backed off; repository deferred");
                Turn::Deferred(until.into())
            }
            None => match self.inner.refresher.refresh(key).await {
                Ok((work, seen)) => {
                    self.settle_expectations(key, &seen);
                    Turn::Refreshed(work)
                }
                Err(RefreshError::Registry(err)) => {
                    warn!(repository = %key, error = %err, "repository not refreshed; state kept");
                    Turn::Failed
                }
                Err(RefreshError::Store(err)) => {
                    warn!(repository = %key, error = format!("{err:#}"), "repository not refreshed");
                    Turn::Failed
                }
            },
        };
        self.unlock(key, guard);
        turn
    }

    async fn lock(&self, key: &RepositoryKey) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self
                .inner
                .locks
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            locks.entry(key.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Releases the lock, forgetting it when nobody else waits for it, so
    /// notifications for unwatched repositories leave nothing behind.
    fn unlock(&self, key: &RepositoryKey, guard: OwnedMutexGuard<()>) {
        drop(guard);
        let mut locks = self
            .inner
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if locks
            .get(key)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(key);
        }
    }

    /// Looks again shortly when a notified push is not visible yet.
    fn settle_expectations(&self, key: &RepositoryKey, seen: &Seen) {
        let mut expectations = self
            .inner
            .expectations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(pause) = expectations.settle(key, seen) {
            debug!(repository = %key, ?pause, "notified push not visible yet; looking again");
            self.refresh_at(key.clone(), Instant::now() + pause);
        }
    }

    /// Requests a refresh of `key` at `at`, unless shutting down first.
    fn refresh_at(&self, key: RepositoryKey, at: Instant) {
        let (this, shutdown) = (self.clone(), self.inner.shutdown.clone());
        self.inner.tasks.spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep_until(at) => this.refresh_soon(key),
            }
        });
    }

    /// A requested refresh; a deferred one is asked again once its
    /// registry's pause ends.
    async fn requested_turn(&self, key: RepositoryKey) {
        if let Turn::Deferred(until) = self.turn(&key).await {
            self.refresh_at(key, until);
        }
        if self.inner.requested.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.inner.idle.notify_waiters();
        }
    }
}

impl RefreshSoon for Watcher {
    fn refresh_after_push(&self, key: RepositoryKey, tag: &str, digest: &str) {
        self.inner
            .expectations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .expect(key.clone(), tag, digest);
        self.refresh_soon(key);
    }

    fn refresh_soon(&self, key: RepositoryKey) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        let newly_queued = self
            .inner
            .queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.clone());
        if !newly_queued {
            return;
        }
        self.inner.requested.fetch_add(1, Ordering::SeqCst);
        let this = self.clone();
        self.inner
            .tasks
            .spawn(async move { this.requested_turn(key).await });
    }
}

fn add(total: &mut RefreshReport, one: RefreshReport) {
    total.targets += one.targets;
    total.tags += one.tags;
    total.digests += one.digests;
    total.configs += one.configs;
    total.events += one.events;
}

/// `base` plus a uniformly random part of `jitter`.
fn jittered(base: Duration, jitter: Duration) -> Duration {
    let extra = jitter.mul_f64(rand::random::<f64>());
    base + extra
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_its_bound() {
        let base = Duration::from_secs(300);
        for _ in 0..100 {
            let wait = jittered(base, Duration::from_secs(30));
            assert!(
                wait >= base && wait <= base + Duration::from_secs(30),
                "{wait:?}"
            );
        }
        assert_eq!(jittered(base, Duration::ZERO), base);
    }
}
