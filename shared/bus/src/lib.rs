//! The event bus: Tagwarden's services talk only through JetStream, and this
//! crate is the one place that knows how.
//!
//! - [`subject`] names every stream and subject, so no service spells one.
//! - [`Bus`] declares the streams and publishes typed events inside the
//!   shared [`Envelope`], with the event id as `Nats-Msg-Id` so JetStream
//!   drops a duplicate publish.
//! - [`consumer`] runs durable pull consumers with explicit ack, bounded
//!   concurrency, growing `nak` delays, and a dead-letter subject for
//!   messages that cannot be handled. Nothing is acked before its handler
//!   says it is done, and nothing undecodable is acked as if handled.

mod bus;
mod config;
pub mod consumer;
mod deadletter;
mod error;
mod handler;
pub mod subject;

pub use bus::Bus;
pub use config::{BusConfig, RetryPolicy};
pub use consumer::ConsumerSpec;
pub use deadletter::headers as deadletter_headers;
pub use error::{ConnectError, ConsumeError, DeclareError, PublishError};
pub use handler::{Delivery, Handler, HandlerError};
pub use subject::{Namespace, Stream, Subject};
pub use tagwarden_proto::events::v1 as events;
pub use tagwarden_proto::events::v1::{Envelope, envelope::Event};
