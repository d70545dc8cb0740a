//! What a consumer hands to service code, and what service code answers.

use std::future::Future;

use crate::{Envelope, Event, Subject};

/// One delivery of one event.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The decoded envelope; its `event` is always present.
    pub envelope: Envelope,
    /// The subject as the contract names it (namespace removed).
    pub subject: Subject,
    /// 1 on first delivery, 2 on the first redelivery, and so on.
    pub delivered: u32,
    /// Position in the stream; stable across redeliveries.
    pub stream_sequence: u64,
}

impl Delivery {
    /// The event inside the envelope.
    pub fn event(&self) -> &Event {
        self.envelope
            .event
            .as_ref()
            .unwrap_or_else(|| unreachable!("checked on decode"))
    }

    /// The envelope's event id.
    pub fn event_id(&self) -> &str {
        &self.envelope.event_id
    }
}

/// Why a handler did not finish an event.
#[derive(Debug)]
pub enum HandlerError {
    /// Worth trying again later (a database or registry was unreachable).
    /// The message is redelivered after a growing delay, and dead-lettered
    /// once the retry policy's deliveries are used up.
    Retry(anyhow::Error),
    /// Retrying cannot help (the event contradicts itself). The message is
    /// dead-lettered at once.
    Reject(anyhow::Error),
}

impl HandlerError {
    /// The underlying error.
    pub fn error(&self) -> &anyhow::Error {
        match self {
            HandlerError::Retry(e) | HandlerError::Reject(e) => e,
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for HandlerError {
    /// Plain errors are assumed transient.
    fn from(error: E) -> Self {
        HandlerError::Retry(error.into())
    }
}

/// Service code that processes deliveries. Must be idempotent: delivery is
/// at least once, and a crash after the effect but before the ack repeats it.
pub trait Handler: Send + Sync + 'static {
    /// Processes one delivery. `Ok` acks it.
    fn handle(&self, delivery: Delivery) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

impl<F, Fut> Handler for F
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send,
{
    fn handle(&self, delivery: Delivery) -> impl Future<Output = Result<(), HandlerError>> + Send {
        self(delivery)
    }
}
