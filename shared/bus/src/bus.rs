//! Connecting, declaring streams and publishing events.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::context::{CreateStreamError, CreateStreamErrorKind};
use async_nats::jetstream::{self, stream};
use backon::{ExponentialBuilder, Retryable as _};
use bytes::Bytes;
use prost::Message as _;
use tracing::{debug, info, warn};
use uuid::Uuid;

use crate::error::{ConnectError, DeclareError, PublishError};
use crate::subject::{Namespace, Stream, Subject};
use crate::{BusConfig, Envelope, Event};

/// How long streams keep events. Consumers are durable, so this only bounds
/// how long a stopped service can stay down without losing its backlog.
const RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);

/// Dead letters wait longer: an operator has to look at each one.
const DEAD_LETTER_RETENTION: Duration = Duration::from_secs(60 * 24 * 3600);

/// Retries of a stream declaration the server failed for a passing reason:
/// about 6 s in all before the service gives up starting.
const DECLARE_RETRY: ExponentialBuilder = ExponentialBuilder::new()
    .with_min_delay(Duration::from_millis(100))
    .with_max_delay(Duration::from_secs(2))
    .with_max_times(6);

/// Whether declaring a stream may succeed when tried again. A server-side
/// failure (status 500) can be passing: NATS 2.9 answers "error creating
/// store for stream" when two streams are created at once in an account
/// whose store directory does not exist yet. A timeout may be a leader
/// election. Anything else (a bad name, a conflicting definition) is final.
fn is_transient(error: &CreateStreamError) -> bool {
    match error.kind() {
        CreateStreamErrorKind::JetStream(e) => e.code() >= 500,
        CreateStreamErrorKind::TimedOut => true,
        _ => false,
    }
}

/// A connection to JetStream, scoped to one namespace and one producer name.
#[derive(Debug, Clone)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    namespace: Namespace,
    replicas: usize,
    producer: String,
}

impl Bus {
    /// Connects to NATS. `producer` names this service in every envelope it
    /// publishes.
    pub async fn connect(config: &BusConfig, producer: &str) -> Result<Self, ConnectError> {
        let mut options = async_nats::ConnectOptions::new()
            .name(config.connection_name.as_deref().unwrap_or(producer))
            .retry_on_initial_connect()
            .max_reconnects(None);
        options = match &config.credentials_file {
            Some(path) => options
                .credentials_file(path)
                .await
                .map_err(|e| ConnectError {
                    url: config.url.clone(),
                    source: async_nats::ConnectError::with_source(
                        async_nats::ConnectErrorKind::Authentication,
                        e,
                    ),
                })?,
            None => options,
        };
        let client = tokio::time::timeout(Duration::from_secs(10), options.connect(&config.url))
            .await
            .map_err(|_| ConnectError {
                url: config.url.clone(),
                source: async_nats::ConnectError::new(async_nats::ConnectErrorKind::TimedOut),
            })?
            .map_err(|source| ConnectError {
                url: config.url.clone(),
                source,
            })?;
        info!(url = %config.url, namespace = %config.namespace, "connected to nats");
        Ok(Self {
            js: jetstream::new(client.clone()),
            client,
            namespace: Namespace::new(config.namespace.clone()),
            replicas: config.replicas.max(1),
            producer: producer.to_owned(),
        })
    }

    /// The namespace subjects and streams are scoped to.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The JetStream context, for tests and tools that inspect streams.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// The underlying NATS client.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Creates every stream, or updates it to the current definition.
    /// Safe to call from every service at every start.
    pub async fn declare_streams(&self) -> Result<(), DeclareError> {
        for kind in Stream::ALL {
            let name = self.namespace.stream(kind);
            let config = stream::Config {
                name: name.clone(),
                subjects: vec![self.namespace.subject(kind.subjects())],
                storage: stream::StorageType::File,
                retention: stream::RetentionPolicy::Limits,
                num_replicas: self.replicas,
                max_age: match kind {
                    Stream::DeadLetter => DEAD_LETTER_RETENTION,
                    _ => RETENTION,
                },
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            };
            (|| self.js.create_or_update_stream(config.clone()))
                .retry(DECLARE_RETRY)
                .when(is_transient)
                .notify(|error, delay| {
                    warn!(stream = %name, %error, ?delay, "declaring a stream failed; retrying");
                })
                .await
                .map_err(|source| DeclareError::Stream {
                    stream: name.clone(),
                    source,
                })?;
            debug!(stream = %name, "stream declared");
        }
        Ok(())
    }

    /// Deletes every stream of this namespace. For tests cleaning up after
    /// themselves; never called by a service.
    pub async fn delete_streams(&self) {
        for kind in Stream::ALL {
            let _ = self.js.delete_stream(self.namespace.stream(kind)).await;
        }
    }

    /// Wraps an event in a new envelope (fresh UUIDv7, the current time, this
    /// producer) and publishes it. Returns the event id.
    pub async fn publish(&self, event: Event) -> Result<String, PublishError> {
        let envelope = self.envelope(event);
        self.publish_envelope(&envelope).await?;
        Ok(envelope.event_id)
    }

    /// A new envelope around `event`, not yet published. Services that write
    /// events to an outbox build the envelope first, store it, and publish it
    /// later with [`Bus::publish_envelope`], so the event id stays the same
    /// however often the outbox retries.
    pub fn envelope(&self, event: Event) -> Envelope {
        new_envelope(&self.producer, event)
    }

    /// Publishes an envelope as it is and waits until JetStream stored it.
    /// Publishing the same event id again within the duplicate window stores
    /// nothing new.
    pub async fn publish_envelope(&self, envelope: &Envelope) -> Result<(), PublishError> {
        let event = envelope.event.as_ref().ok_or_else(|| PublishError::Empty {
            event_id: envelope.event_id.clone(),
        })?;
        let subject = self.namespace.subject(Subject::of(event).as_str());
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", envelope.event_id.as_str());
        let payload = Bytes::from(envelope.encode_to_vec());
        let ack = self
            .js
            .publish_with_headers(subject.clone(), headers, payload)
            .await
            .map_err(|source| PublishError::Send {
                subject: subject.clone(),
                source,
            })?;
        let ack = ack.await.map_err(|source| PublishError::Ack {
            subject: subject.clone(),
            source,
        })?;
        debug!(
            subject = %subject,
            event_id = %envelope.event_id,
            sequence = ack.sequence,
            duplicate = ack.duplicate,
            "event published"
        );
        Ok(())
    }
}

/// A fresh envelope: UUIDv7 event id, the current time, the producer's name.
pub(crate) fn new_envelope(producer: &str, event: Event) -> Envelope {
    let now = chrono::Utc::now();
    Envelope {
        event_id: Uuid::now_v7().to_string(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: now.timestamp(),
            nanos: i32::try_from(now.timestamp_subsec_nanos()).unwrap_or(0),
        }),
        producer: producer.to_owned(),
        event: Some(event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(code: usize, err_code: u64, description: &str) -> CreateStreamError {
        let error: jetstream::Error = serde_json::from_value(serde_json::json!({
            "code": code,
            "err_code": err_code,
            "description": description,
        }))
        .expect("a JetStream API error");
        CreateStreamError::new(CreateStreamErrorKind::JetStream(error))
    }

    #[test]
    fn server_failures_and_timeouts_are_retried() {
        assert!(is_transient(&server_error(
            500,
            10049,
            "error creating store for stream"
        )));
        assert!(is_transient(&CreateStreamError::new(
            CreateStreamErrorKind::TimedOut
        )));
    }

    #[test]
    fn definition_errors_are_final() {
        assert!(!is_transient(&server_error(
            400,
            10058,
            "stream name already in use with a different configuration"
        )));
        assert!(!is_transient(&CreateStreamError::new(
            CreateStreamErrorKind::InvalidStreamName
        )));
    }
}
