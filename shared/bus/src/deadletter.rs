//! Where messages go that no handler could process.
//!
//! A dead letter is the original payload, unchanged, on
//! `deadletter.<original subject>` in the DEADLETTER stream, with headers
//! saying what failed. An operator can read it, fix the cause, and publish
//! the payload again.

use async_nats::HeaderMap;
use async_nats::jetstream;
use bytes::Bytes;

use crate::subject::{DEAD_LETTER_PREFIX, Namespace};

/// Header names on a dead letter.
pub mod headers {
    /// The error that made the message undeliverable.
    pub const ERROR: &str = "Tagwarden-Error";
    /// The subject the message was first published on.
    pub const SUBJECT: &str = "Tagwarden-Original-Subject";
    /// The durable consumer that gave up.
    pub const CONSUMER: &str = "Tagwarden-Consumer";
    /// How many deliveries were tried.
    pub const DELIVERIES: &str = "Tagwarden-Deliveries";
}

/// Stores `payload` as a dead letter and waits for JetStream to confirm.
/// The message id makes a repeat (after a crash before the original ack)
/// store nothing new.
pub(crate) async fn publish(
    js: &jetstream::Context,
    namespace: &Namespace,
    original_subject: &str,
    consumer: &str,
    stream_sequence: u64,
    deliveries: u32,
    error: &str,
    payload: Bytes,
) -> Result<(), jetstream::context::PublishError> {
    let contract_subject = namespace.strip(original_subject);
    let subject = namespace.subject(&format!("{DEAD_LETTER_PREFIX}.{contract_subject}"));
    let mut map = HeaderMap::new();
    map.insert("Nats-Msg-Id", format!("{consumer}:{original_subject}:{stream_sequence}").as_str());
    // Header values cannot hold line breaks.
    map.insert(headers::ERROR, error.replace(['\r', '\n'], " ").as_str());
    map.insert(headers::SUBJECT, contract_subject);
    map.insert(headers::CONSUMER, consumer);
    map.insert(headers::DELIVERIES, deliveries.to_string().as_str());
    js.publish_with_headers(subject, map, payload).await?.await?;
    Ok(())
}
