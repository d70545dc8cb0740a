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

/// A message no handler could process, and why.
#[derive(Debug)]
pub(crate) struct DeadLetter<'a> {
    /// Full subject the message arrived on (namespace included).
    pub(crate) original_subject: &'a str,
    /// Durable consumer that gave up.
    pub(crate) consumer: &'a str,
    /// Position of the original in its stream.
    pub(crate) stream_sequence: u64,
    /// Deliveries tried.
    pub(crate) deliveries: u32,
    /// What went wrong, for the operator.
    pub(crate) error: &'a str,
    /// The original payload, unchanged.
    pub(crate) payload: Bytes,
}

/// Stores a dead letter and waits for JetStream to confirm. The message id
/// makes a repeat (after a crash before the original was settled) store
/// nothing new.
pub(crate) async fn publish(
    js: &jetstream::Context,
    namespace: &Namespace,
    letter: DeadLetter<'_>,
) -> Result<(), jetstream::context::PublishError> {
    let contract_subject = namespace.strip(letter.original_subject);
    let subject = namespace.subject(&format!("{DEAD_LETTER_PREFIX}.{contract_subject}"));
    let id = format!(
        "{}:{}:{}",
        letter.consumer, letter.original_subject, letter.stream_sequence
    );
    let mut map = HeaderMap::new();
    map.insert("Nats-Msg-Id", id.as_str());
    // Header values cannot hold line breaks.
    map.insert(
        headers::ERROR,
        letter.error.replace(['\r', '\n'], " ").as_str(),
    );
    map.insert(headers::SUBJECT, contract_subject);
    map.insert(headers::CONSUMER, letter.consumer);
    map.insert(headers::DELIVERIES, letter.deliveries.to_string().as_str());
    js.publish_with_headers(subject, map, letter.payload)
        .await?
        .await?;
    Ok(())
}
