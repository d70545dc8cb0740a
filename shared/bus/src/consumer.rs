//! Durable pull consumers: pull, decode, hand to service code, ack.
//!
//! The rules, in order of importance:
//! - a message is acked only after its handler returned `Ok`;
//! - a message that cannot be decoded, or that a handler rejects or keeps
//!   failing on, is stored on the dead-letter subject before it is
//!   terminated, so it is never lost and never acked as if handled;
//! - at most `concurrency` handlers run at once;
//! - on shutdown, no new message is taken and the running handlers finish.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::PullConsumer, consumer::pull};
use futures::StreamExt;
use prost::Message as _;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::error::{ConsumeError, DeclareError};
use crate::handler::{Delivery, Handler, HandlerError};
use crate::subject::{Namespace, Stream, Subject};
use crate::{Bus, Envelope, RetryPolicy, deadletter};

/// What a durable consumer reads and how it treats failures.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// Durable name; instances of one service share it to split the work.
    pub durable: String,
    /// The stream to read.
    pub stream: Stream,
    /// Only this subject, or the whole stream when `None`.
    pub filter: Option<Subject>,
    /// How long the server waits for an ack before redelivering.
    pub ack_wait: Duration,
    /// Handlers running at once in this instance.
    pub concurrency: usize,
    /// Redelivery delays and the dead-letter threshold.
    pub retry: RetryPolicy,
}

impl ConsumerSpec {
    /// A spec with 30 s ack wait, 4 concurrent handlers and the default retry
    /// policy.
    pub fn new(durable: impl Into<String>, stream: Stream, filter: Option<Subject>) -> Self {
        Self {
            durable: durable.into(),
            stream,
            filter,
            ack_wait: Duration::from_secs(30),
            concurrency: 4,
            retry: RetryPolicy::default(),
        }
    }
}

/// A declared durable consumer, ready to run.
#[derive(Debug)]
pub struct Consumer {
    inner: PullConsumer,
    spec: ConsumerSpec,
    js: jetstream::Context,
    namespace: Namespace,
}

impl Bus {
    /// Creates the durable consumer, or updates it to `spec`.
    pub async fn consumer(&self, spec: ConsumerSpec) -> Result<Consumer, DeclareError> {
        let stream_name = self.namespace().stream(spec.stream);
        let stream = self
            .jetstream()
            .get_stream(&stream_name)
            .await
            .map_err(|source| DeclareError::MissingStream {
                stream: stream_name.clone(),
                source,
            })?;
        let config = pull::Config {
            durable_name: Some(spec.durable.clone()),
            filter_subject: spec
                .filter
                .map(|s| self.namespace().subject(s.as_str()))
                .unwrap_or_default(),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: spec.ack_wait,
            // Redelivery is bounded by our own retry policy, which
            // dead-letters the message; the server must never drop it first.
            max_deliver: -1,
            ..Default::default()
        };
        let inner =
            stream
                .create_consumer(config)
                .await
                .map_err(|source| DeclareError::Consumer {
                    stream: stream_name,
                    consumer: spec.durable.clone(),
                    source,
                })?;
        Ok(Consumer {
            inner,
            spec,
            js: self.jetstream().clone(),
            namespace: self.namespace().clone(),
        })
    }
}

impl Consumer {
    /// Runs until `shutdown` is cancelled, then waits for running handlers.
    pub async fn run<H: Handler>(
        self,
        handler: H,
        shutdown: CancellationToken,
    ) -> Result<(), ConsumeError> {
        let concurrency = self.spec.concurrency.max(1);
        let ctx = Arc::new(Context {
            js: self.js,
            namespace: self.namespace,
            durable: self.spec.durable.clone(),
            retry: self.spec.retry,
        });
        let handler = Arc::new(handler);
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut tasks = JoinSet::new();
        info!(consumer = %ctx.durable, concurrency, "consumer started");

        'pull: while !shutdown.is_cancelled() {
            let mut messages = self
                .inner
                .stream()
                .max_messages_per_batch(concurrency)
                .messages()
                .await
                .map_err(|source| ConsumeError::Subscribe {
                    consumer: ctx.durable.clone(),
                    source,
                })?;
            loop {
                let permit = tokio::select! {
                    () = shutdown.cancelled() => break 'pull,
                    permit = permits.clone().acquire_owned() => {
                        permit.unwrap_or_else(|_| unreachable!("semaphore is never closed"))
                    }
                };
                let next = tokio::select! {
                    () = shutdown.cancelled() => break 'pull,
                    next = messages.next() => next,
                };
                match next {
                    Some(Ok(message)) => {
                        let (ctx, handler) = (ctx.clone(), handler.clone());
                        tasks.spawn(async move {
                            process(&ctx, handler.as_ref(), message).await;
                            drop(permit);
                        });
                    }
                    Some(Err(err)) => {
                        debug!(consumer = %ctx.durable, error = %err, "pull interrupted");
                    }
                    None => {
                        debug!(consumer = %ctx.durable, "pull stream ended; reopening");
                        continue 'pull;
                    }
                }
                while let Some(done) = tasks.try_join_next() {
                    log_panic(&ctx.durable, done);
                }
            }
        }

        let in_flight = tasks.len();
        if in_flight > 0 {
            info!(consumer = %ctx.durable, in_flight, "consumer stopping; finishing handlers");
        }
        while let Some(done) = tasks.join_next().await {
            log_panic(&ctx.durable, done);
        }
        info!(consumer = %ctx.durable, "consumer stopped");
        Ok(())
    }
}

/// What a processing task needs besides the message.
struct Context {
    js: jetstream::Context,
    namespace: Namespace,
    durable: String,
    retry: RetryPolicy,
}

fn log_panic(consumer: &str, done: Result<(), tokio::task::JoinError>) {
    if let Err(err) = done {
        // The message was not acked; the server redelivers it after ack_wait.
        error!(consumer, error = %err, "handler panicked; message will be redelivered");
    }
}

async fn process<H: Handler>(ctx: &Context, handler: &H, message: jetstream::Message) {
    let (delivered, stream_sequence) = match message.info() {
        Ok(info) => (
            u32::try_from(info.delivered).unwrap_or(u32::MAX),
            info.stream_sequence,
        ),
        Err(err) => {
            warn!(consumer = %ctx.durable, error = %err, "message without jetstream metadata");
            return;
        }
    };
    let subject = message.subject.to_string();
    let delivery = match decode(&ctx.namespace, &subject, &message.payload) {
        Ok(envelope_and_subject) => envelope_and_subject,
        Err(reason) => {
            error!(consumer = %ctx.durable, subject, stream_sequence, reason, "undecodable event");
            dead_letter(ctx, &message, &subject, stream_sequence, delivered, &reason).await;
            return;
        }
    };
    let (envelope, contract_subject) = delivery;
    let event_id = envelope.event_id.clone();
    let span = info_span!("event", consumer = %ctx.durable, subject = %contract_subject, event_id);
    let delivery = Delivery {
        envelope,
        subject: contract_subject,
        delivered,
        stream_sequence,
    };

    let outcome = handler.handle(delivery).instrument(span.clone()).await;
    let _enter = span.enter();
    match outcome {
        Ok(()) => {
            if let Err(err) = message.ack().await {
                // Not fatal: the server redelivers and the handler is idempotent.
                warn!(error = %err, "ack failed; event will be redelivered");
            }
        }
        Err(HandlerError::Retry(err)) if delivered < ctx.retry.max_deliveries => {
            let delay = ctx.retry.delay_after(delivered);
            warn!(error = format!("{err:#}"), delivered, retry_in = ?delay, "handler failed");
            if let Err(err) = message.ack_with(AckKind::Nak(Some(delay))).await {
                warn!(error = %err, "nak failed; event will be redelivered after ack wait");
            }
        }
        Err(failure) => {
            let reason = match &failure {
                HandlerError::Retry(err) => {
                    format!("gave up after {delivered} deliveries: {err:#}")
                }
                HandlerError::Reject(err) => format!("rejected: {err:#}"),
            };
            error!(delivered, reason, "event dead-lettered");
            dead_letter(ctx, &message, &subject, stream_sequence, delivered, &reason).await;
        }
    }
}

/// Decodes an envelope and checks that it belongs on the subject it came on.
fn decode(
    namespace: &Namespace,
    subject: &str,
    payload: &[u8],
) -> Result<(Envelope, Subject), String> {
    let envelope = Envelope::decode(payload).map_err(|e| format!("undecodable payload: {e}"))?;
    let event = envelope
        .event
        .as_ref()
        .ok_or_else(|| format!("envelope {} carries no event", envelope.event_id))?;
    let expected = Subject::of(event);
    if namespace.strip(subject) != expected.as_str() {
        return Err(format!(
            "event {} is a {expected} event but arrived on {subject}",
            envelope.event_id
        ));
    }
    Ok((envelope, expected))
}

/// Stores the message as a dead letter, then terminates it. If the dead
/// letter cannot be stored the message is nak'ed instead, so it stays.
async fn dead_letter(
    ctx: &Context,
    message: &jetstream::Message,
    subject: &str,
    stream_sequence: u64,
    delivered: u32,
    reason: &str,
) {
    let letter = deadletter::DeadLetter {
        original_subject: subject,
        consumer: &ctx.durable,
        stream_sequence,
        deliveries: delivered,
        error: reason,
        payload: message.payload.clone(),
    };
    let stored = deadletter::publish(&ctx.js, &ctx.namespace, letter).await;
    let ack = match stored {
        Ok(()) => AckKind::Term,
        Err(err) => {
            error!(consumer = %ctx.durable, error = %err, "cannot store dead letter; keeping event");
            AckKind::Nak(Some(ctx.retry.max_delay))
        }
    };
    if let Err(err) = message.ack_with(ack).await {
        warn!(consumer = %ctx.durable, error = %err, "cannot settle dead-lettered event");
    }
}
