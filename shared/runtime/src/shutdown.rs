//! Graceful shutdown: SIGTERM or SIGINT cancels one token; every loop in
//! the service watches it, stops taking new work, and finishes what it has.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

/// A token cancelled on the first SIGTERM or SIGINT.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        info!("shutdown requested");
        cancel.cancel();
    });
    token
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        warn!("cannot listen for SIGTERM; only ctrl-c stops the service");
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// The long-running tasks of a service (consumers, timers, the gRPC
/// server), stopped together.
#[derive(Debug, Clone)]
pub struct Tasks {
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl Tasks {
    /// Tasks that stop when `shutdown` is cancelled.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            tracker: TaskTracker::new(),
            shutdown,
        }
    }

    /// The token the tasks watch.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Runs `task`. If it fails, the error is logged and the whole service
    /// shuts down: a service missing one of its loops must not look healthy.
    pub fn spawn<F>(&self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let shutdown = self.shutdown.clone();
        self.tracker.spawn(async move {
            if let Err(err) = task.await {
                tracing::error!(
                    task = name,
                    error = format!("{err:#}"),
                    "task failed; stopping"
                );
                shutdown.cancel();
            }
        });
    }

    /// Waits for shutdown, then up to `grace` for the tasks to finish.
    /// Returns false if some were still running when the grace ran out.
    pub async fn wait(self, grace: Duration) -> bool {
        self.shutdown.cancelled().await;
        self.tracker.close();
        match tokio::time::timeout(grace, self.tracker.wait()).await {
            Ok(()) => {
                info!("all tasks finished");
                true
            }
            Err(_) => {
                warn!(grace = ?grace, "tasks still running after the grace period; exiting");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[tokio::test]
    async fn in_flight_work_finishes_before_wait_returns() {
        let shutdown = CancellationToken::new();
        let tasks = Tasks::new(shutdown.clone());
        let finished = Arc::new(AtomicBool::new(false));
        let started = CancellationToken::new();
        let (done, go) = (finished.clone(), started.clone());
        let watch = shutdown.clone();
        tasks.spawn("worker", async move {
            go.cancel();
            watch.cancelled().await;
            // Work that is already in flight when shutdown arrives.
            tokio::time::sleep(Duration::from_millis(200)).await;
            done.store(true, Ordering::SeqCst);
            Ok(())
        });

        started.cancelled().await;
        shutdown.cancel();
        assert!(tasks.wait(Duration::from_secs(5)).await);
        assert!(finished.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_task_that_outlives_the_grace_is_reported() {
        let shutdown = CancellationToken::new();
        let tasks = Tasks::new(shutdown.clone());
        tasks.spawn("stuck", async {
            std::future::pending::<()>().await;
            Ok(())
        });
        shutdown.cancel();
        assert!(!tasks.wait(Duration::from_millis(50)).await);
    }

    #[tokio::test]
    async fn a_failing_task_stops_the_service() {
        let shutdown = CancellationToken::new();
        let tasks = Tasks::new(shutdown.clone());
        tasks.spawn("broken", async {
            Err(anyhow::anyhow!("lost the database"))
        });
        assert!(tasks.wait(Duration::from_secs(5)).await);
        assert!(shutdown.is_cancelled());
    }
}
