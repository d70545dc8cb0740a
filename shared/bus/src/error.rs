//! One error type per operation, each with a kind a caller can act on.

use thiserror::Error;

/// Connecting to NATS failed.
#[derive(Debug, Error)]
#[error("cannot connect to NATS at {url}: {source}")]
pub struct ConnectError {
    pub(crate) url: String,
    #[source]
    pub(crate) source: async_nats::ConnectError,
}

/// Declaring a stream or consumer failed.
#[derive(Debug, Error)]
pub enum DeclareError {
    /// The stream could not be created or updated.
    #[error("cannot declare stream {stream}: {source}")]
    Stream {
        /// Full stream name.
        stream: String,
        /// What the server said.
        #[source]
        source: async_nats::jetstream::context::CreateStreamError,
    },
    /// The durable consumer could not be created or updated.
    #[error("cannot declare consumer {consumer} on stream {stream}: {source}")]
    Consumer {
        /// Full stream name.
        stream: String,
        /// Durable consumer name.
        consumer: String,
        /// What the server said.
        #[source]
        source: async_nats::jetstream::stream::ConsumerError,
    },
    /// The stream to attach a consumer to does not exist.
    #[error("stream {stream} does not exist; declare streams first: {source}")]
    MissingStream {
        /// Full stream name.
        stream: String,
        /// What the server said.
        #[source]
        source: async_nats::jetstream::context::GetStreamError,
    },
}

/// Publishing an event failed; the event was not stored.
#[derive(Debug, Error)]
pub enum PublishError {
    /// The message never reached the server.
    #[error("cannot publish {subject}: {source}")]
    Send {
        /// Full subject.
        subject: String,
        /// Why.
        #[source]
        source: async_nats::jetstream::context::PublishError,
    },
    /// The server did not confirm that it stored the message.
    #[error("no publish acknowledgement for {subject}: {source}")]
    Ack {
        /// Full subject.
        subject: String,
        /// Why.
        #[source]
        source: async_nats::jetstream::context::PublishError,
    },
    /// The envelope has no event in it.
    #[error("envelope {event_id} carries no event")]
    Empty {
        /// The envelope's event id.
        event_id: String,
    },
}

/// A consumer stopped for a reason other than shutdown.
#[derive(Debug, Error)]
pub enum ConsumeError {
    /// The pull subscription could not be opened.
    #[error("cannot pull from consumer {consumer}: {source}")]
    Subscribe {
        /// Durable consumer name.
        consumer: String,
        /// Why.
        #[source]
        source: async_nats::jetstream::consumer::StreamError,
    },
}
