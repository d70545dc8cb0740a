//! The bus against the real NATS server on 127.0.0.1:4222 (override with
//! TAGWARDEN_TEST_NATS_URL). Each test works in a namespace of its own, so
//! its streams are fresh and nothing is shared between tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tagwarden_bus::events::{ScanRequested, TargetCreated, TargetRef};
use tagwarden_bus::{
    Bus, BusConfig, ConsumerSpec, Delivery, Event, HandlerError, RetryPolicy, Stream, Subject,
    deadletter_headers,
};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// A bus in a fresh namespace, with its streams declared.
async fn fresh_bus() -> Bus {
    let url = std::env::var("TAGWARDEN_TEST_NATS_URL")
        .unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    let namespace = format!("t{}", uuid::Uuid::now_v7().simple());
    let config = BusConfig {
        url,
        namespace,
        ..BusConfig::default()
    };
    let bus = Bus::connect(&config, "bus-test")
        .await
        .expect("NATS must be running");
    bus.declare_streams().await.unwrap();
    bus
}

fn target_created(id: &str) -> Event {
    Event::TargetCreated(TargetCreated {
        target: Some(TargetRef {
            target_id: id.to_owned(),
            tag_rule: "latest".into(),
            image: None,
        }),
    })
}

fn quick_retry(max_deliveries: u32) -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        max_deliveries,
    }
}

/// Polls `check` until it holds or 20 s pass.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn stream_messages(bus: &Bus, stream: Stream) -> u64 {
    let name = bus.namespace().stream(stream);
    let mut stream = bus.jetstream().get_stream(name).await.unwrap();
    stream.info().await.unwrap().state.messages
}

/// Pending plus unacknowledged messages of a durable consumer.
async fn outstanding(bus: &Bus, stream: Stream, durable: &str) -> u64 {
    let name = bus.namespace().stream(stream);
    let stream = bus.jetstream().get_stream(name).await.unwrap();
    let mut consumer: async_nats::jetstream::consumer::PullConsumer =
        stream.get_consumer(durable).await.unwrap();
    let info = consumer.info().await.unwrap();
    info.num_pending + info.num_ack_pending as u64
}

#[tokio::test]
async fn same_event_id_twice_is_stored_once() {
    let bus = fresh_bus().await;
    let envelope = bus.envelope(target_created("t-1"));
    bus.publish_envelope(&envelope).await.unwrap();
    bus.publish_envelope(&envelope).await.unwrap();
    bus.publish(target_created("t-2")).await.unwrap();

    assert_eq!(stream_messages(&bus, Stream::Targets).await, 2);
    bus.delete_streams().await;
}

#[tokio::test]
async fn declaring_streams_and_consumers_again_is_harmless() {
    let bus = fresh_bus().await;
    bus.declare_streams().await.unwrap();
    let spec = ConsumerSpec::new("twice", Stream::Targets, Some(Subject::TargetCreated));
    bus.consumer(spec.clone()).await.unwrap();
    let changed = ConsumerSpec {
        ack_wait: Duration::from_secs(90),
        ..spec
    };
    bus.consumer(changed).await.unwrap();
    bus.delete_streams().await;
}

#[tokio::test]
async fn handler_failing_twice_sees_three_deliveries_then_acks() {
    let bus = fresh_bus().await;
    bus.publish(target_created("t-1")).await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let spec = ConsumerSpec {
        retry: quick_retry(5),
        ..ConsumerSpec::new("flaky", Stream::Targets, None)
    };
    let consumer = bus.consumer(spec).await.unwrap();
    let shutdown = CancellationToken::new();
    let log = seen.clone();
    let run = tokio::spawn(consumer.run(
        move |d: Delivery| {
            let log = log.clone();
            async move {
                log.lock().await.push(d.delivered);
                if d.delivered < 3 {
                    return Err(HandlerError::Retry(anyhow::anyhow!("database unreachable")));
                }
                Ok(())
            }
        },
        shutdown.clone(),
    ));

    eventually("three deliveries", || async {
        seen.lock().await.len() == 3
    })
    .await;
    eventually("ack", || {
        outstanding(&bus, Stream::Targets, "flaky").then(|n| async move { n == 0 })
    })
    .await;
    shutdown.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(*seen.lock().await, [1, 2, 3]);
    assert_eq!(stream_messages(&bus, Stream::DeadLetter).await, 0);
    bus.delete_streams().await;
}

#[tokio::test]
async fn unacked_message_is_redelivered_after_ack_wait() {
    let bus = fresh_bus().await;
    bus.publish(target_created("t-1")).await.unwrap();
    let deliveries = Arc::new(AtomicU32::new(0));
    let spec = ConsumerSpec {
        ack_wait: Duration::from_secs(1),
        concurrency: 2,
        ..ConsumerSpec::new("stuck", Stream::Targets, None)
    };
    let consumer = bus.consumer(spec).await.unwrap();
    let shutdown = CancellationToken::new();
    let count = deliveries.clone();
    let run = tokio::spawn(consumer.run(
        move |d: Delivery| {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                if d.delivered == 1 {
                    // Never answers, like a handler stuck on a dead connection.
                    std::future::pending::<()>().await;
                }
                Ok(())
            }
        },
        shutdown.clone(),
    ));

    eventually("redelivery", || async {
        deliveries.load(Ordering::SeqCst) == 2
    })
    .await;
    eventually("ack", || {
        outstanding(&bus, Stream::Targets, "stuck").then(|n| async move { n == 0 })
    })
    .await;
    run.abort();
    bus.delete_streams().await;
}

#[tokio::test]
async fn undecodable_payload_is_dead_lettered_with_its_error() {
    let bus = fresh_bus().await;
    let subject = bus.namespace().subject(Subject::ScanRequested.as_str());
    bus.jetstream()
        .publish(subject, "not protobuf \u{ff}".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let handled = Arc::new(AtomicU32::new(0));
    let consumer = bus
        .consumer(ConsumerSpec::new("scanner", Stream::Scans, None))
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let count = handled.clone();
    let run = tokio::spawn(consumer.run(
        move |_d: Delivery| {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        },
        shutdown.clone(),
    ));

    let letter = next_dead_letter(&bus).await;
    eventually("settled", || {
        outstanding(&bus, Stream::Scans, "scanner").then(|n| async move { n == 0 })
    })
    .await;
    shutdown.cancel();
    run.await.unwrap().unwrap();

    assert_eq!(handled.load(Ordering::SeqCst), 0);
    assert_eq!(
        letter.subject.as_str(),
        bus.namespace().subject("deadletter.scans.requested")
    );
    assert_eq!(letter.payload.as_ref(), "not protobuf \u{ff}".as_bytes());
    let headers = letter.headers.as_ref().unwrap();
    let error = headers.get(deadletter_headers::ERROR).unwrap().as_str();
    assert!(error.starts_with("undecodable payload"), "{error}");
    assert_eq!(
        headers.get(deadletter_headers::SUBJECT).unwrap().as_str(),
        "scans.requested"
    );
    assert_eq!(
        headers.get(deadletter_headers::CONSUMER).unwrap().as_str(),
        "scanner"
    );
    bus.delete_streams().await;
}

#[tokio::test]
async fn event_on_the_wrong_subject_is_dead_lettered() {
    let bus = fresh_bus().await;
    let envelope = bus.envelope(Event::ScanRequested(ScanRequested::default()));
    let wrong = bus.namespace().subject(Subject::ScanCompleted.as_str());
    let payload = prost::Message::encode_to_vec(&envelope);
    bus.jetstream()
        .publish(wrong, payload.into())
        .await
        .unwrap()
        .await
        .unwrap();
    let consumer = bus
        .consumer(ConsumerSpec::new("scheduler", Stream::Scans, None))
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let run = tokio::spawn(consumer.run(|_d: Delivery| async { Ok(()) }, shutdown.clone()));

    let letter = next_dead_letter(&bus).await;
    let error = letter
        .headers
        .as_ref()
        .unwrap()
        .get(deadletter_headers::ERROR)
        .unwrap();
    assert!(
        error
            .as_str()
            .contains("is a scans.requested event but arrived on"),
        "{error}"
    );
    shutdown.cancel();
    run.await.unwrap().unwrap();
    bus.delete_streams().await;
}

#[tokio::test]
async fn handler_that_keeps_failing_is_dead_lettered_after_max_deliveries() {
    let bus = fresh_bus().await;
    bus.publish(target_created("t-9")).await.unwrap();
    let deliveries = Arc::new(AtomicU32::new(0));
    let spec = ConsumerSpec {
        retry: quick_retry(3),
        ..ConsumerSpec::new("doomed", Stream::Targets, Some(Subject::TargetCreated))
    };
    let consumer = bus.consumer(spec).await.unwrap();
    let shutdown = CancellationToken::new();
    let count = deliveries.clone();
    let run = tokio::spawn(consumer.run(
        move |_d: Delivery| {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                Err(HandlerError::Retry(anyhow::anyhow!(
                    "registry returned 503"
                )))
            }
        },
        shutdown.clone(),
    ));

    let letter = next_dead_letter(&bus).await;
    shutdown.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(deliveries.load(Ordering::SeqCst), 3);
    let headers = letter.headers.as_ref().unwrap();
    assert_eq!(
        headers.get(deadletter_headers::ERROR).unwrap().as_str(),
        "gave up after 3 deliveries: registry returned 503"
    );
    assert_eq!(
        headers
            .get(deadletter_headers::DELIVERIES)
            .unwrap()
            .as_str(),
        "3"
    );
    bus.delete_streams().await;
}

#[tokio::test]
async fn shutdown_lets_the_running_handler_finish_and_ack() {
    let bus = fresh_bus().await;
    bus.publish(target_created("t-1")).await.unwrap();
    let started = CancellationToken::new();
    let finished = Arc::new(AtomicU32::new(0));
    let consumer = bus
        .consumer(ConsumerSpec::new("graceful", Stream::Targets, None))
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let (started_signal, done) = (started.clone(), finished.clone());
    let run = tokio::spawn(consumer.run(
        move |_d: Delivery| {
            let (started, done) = (started_signal.clone(), done.clone());
            async move {
                started.cancel();
                tokio::time::sleep(Duration::from_millis(300)).await;
                done.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        },
        shutdown.clone(),
    ));

    started.cancelled().await;
    shutdown.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "run returned before the handler finished"
    );
    eventually("ack", || {
        outstanding(&bus, Stream::Targets, "graceful").then(|n| async move { n == 0 })
    })
    .await;
    bus.delete_streams().await;
}

/// The first message on the namespace's dead-letter stream.
async fn next_dead_letter(bus: &Bus) -> async_nats::jetstream::Message {
    let name = bus.namespace().stream(Stream::DeadLetter);
    let stream = bus.jetstream().get_stream(name).await.unwrap();
    let reader = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config::default())
        .await
        .unwrap();
    let mut messages = reader.messages().await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), messages.next())
        .await
        .expect("a dead letter within 20 s")
        .unwrap()
        .unwrap()
}

use futures::FutureExt as _;
