//! Runs the engine's image scans on a thread of their own.
//!
//! The future of `Engine::inventory` is not `Send`: its per-layer stream
//! holds a closure the compiler cannot prove `Send` for every lifetime.
//! The bus runs handlers as `Send` tasks, so scans cannot run inside them
//! directly. Instead one thread per service runs a current-thread runtime
//! with a `LocalSet`, and each scan is a local task there; the handler
//! awaits its answer over a channel. Only the scan's network I/O runs on
//! that thread: the engine decompresses and analyzes layers on blocking
//! threads. The engine's registry connections live on that runtime alone,
//! so none is shared between runtimes.
//!
//! Dropping the future [`Puller::inventory`] returns (shutdown, a handler
//! that is given up on) cancels the scan.

use std::time::Duration;

use tagwarden_engine::engine::Engine;
use tagwarden_engine::inventory::Inventory;
use tagwarden_engine::source::ImageSource;
use tagwarden_registry::ImageReference;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::error;

use crate::scan::{Failure, classify};

/// One scan handed to the engine thread.
struct Job {
    image: ImageReference,
    timeout: Duration,
    cancel: CancellationToken,
    reply: oneshot::Sender<Result<Inventory, Failure>>,
}

/// A handle on the engine thread; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Puller {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Puller {
    /// Starts the engine thread. It ends when the last handle is dropped.
    pub(crate) fn start(engine: Engine) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("scanner-engine".to_owned())
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, serve(engine, queue));
            })?;
        Ok(Self { jobs })
    }

    /// The inventory of `image`, or why there is none; a scan running
    /// longer than `timeout` fails, retryable.
    pub(crate) async fn inventory(
        &self,
        image: ImageReference,
        timeout: Duration,
    ) -> Result<Inventory, Failure> {
        let cancel = CancellationToken::new();
        let _cancel_on_drop = cancel.clone().drop_guard();
        let (reply, answer) = oneshot::channel();
        let job = Job {
            image,
            timeout,
            cancel,
            reply,
        };
        let stopped = || Failure {
            error: "the scanner is shutting down".to_owned(),
            retryable: true,
        };
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn serve(engine: Engine, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = queue.recv().await {
        let engine = engine.clone();
        tokio::task::spawn_local(async move {
            let Job {
                image,
                timeout,
                cancel,
                reply,
            } = job;
            let outcome = tokio::select! {
                () = cancel.cancelled() => return,
                outcome = tokio::time::timeout(timeout, scan(&engine, &image)) => outcome,
            };
            let outcome = outcome.unwrap_or_else(|_| {
                Err(Failure {
                    error: format!(
                        "scanning {image} did not finish within {}s",
                        timeout.as_secs()
                    ),
                    retryable: true,
                })
            });
            if reply.send(outcome).is_err() {
                error!(%image, "a finished scan had nobody waiting for it");
            }
        });
    }
}

async fn scan(engine: &Engine, image: &ImageReference) -> Result<Inventory, Failure> {
    let source = ImageSource::Registry(image.clone());
    match engine.inventory(&source).await {
        Ok(scanned) => Ok(scanned.inventory),
        Err(error) => Err(classify(&error)),
    }
}
