//! Bus throughput: how fast events are published (each confirmed by
//! JetStream) and handled (each acked after its handler) on this machine.
//! Runs in a namespace of its own and deletes its streams afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tagwarden_bus::events::{DigestChanged, ImageLocation};
use tagwarden_bus::{Bus, BusConfig, ConsumerSpec, Delivery, Event, Stream, Subject};
use tokio_util::sync::CancellationToken;

/// Options of the bus scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// NATS URL.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    url: String,
    /// Events to publish.
    #[arg(long, default_value_t = 10_000)]
    events: u64,
    /// Concurrent handlers in the consumer.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Publishes awaited at once.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
}

pub(crate) async fn run(args: Args) -> anyhow::Result<()> {
    let namespace = format!("load{}", uuid::Uuid::now_v7().simple());
    let config = BusConfig {
        url: args.url.clone(),
        namespace,
        ..BusConfig::default()
    };
    let bus = Bus::connect(&config, "loadtest").await?;
    bus.declare_streams().await?;
    let result = measure(&bus, &args).await;
    bus.delete_streams().await;
    result
}

async fn measure(bus: &Bus, args: &Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut pending = tokio::task::JoinSet::new();
    for n in 0..args.events {
        if pending.len() >= args.in_flight
            && let Some(done) = pending.join_next().await
        {
            done??;
        }
        let (bus, event) = (bus.clone(), digest_changed(n));
        pending.spawn(async move { bus.publish(event).await.map(drop) });
    }
    while let Some(done) = pending.join_next().await {
        done??;
    }
    let publish = started.elapsed();

    let handled = Arc::new(AtomicU64::new(0));
    let spec = ConsumerSpec {
        concurrency: args.concurrency,
        ..ConsumerSpec::new("loadtest", Stream::Tags, Some(Subject::DigestChanged))
    };
    let consumer = bus.consumer(spec).await?;
    let shutdown = CancellationToken::new();
    let count = handled.clone();
    let started = Instant::now();
    let running = tokio::spawn(consumer.run(
        move |_d: Delivery| {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        },
        shutdown.clone(),
    ));
    while handled.load(Ordering::Relaxed) < args.events {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let consume = started.elapsed();
    shutdown.cancel();
    running.await??;

    let rate = |d: Duration| args.events as f64 / d.as_secs_f64();
    {
        println!("events            {}", args.events);
        println!(
            "publish (acked)   {:>8.0} events/s  {:?}",
            rate(publish),
            publish
        );
        println!(
            "consume (acked)   {:>8.0} events/s  {:?}",
            rate(consume),
            consume
        );
    }
    Ok(())
}

fn digest_changed(n: u64) -> Event {
    Event::DigestChanged(DigestChanged {
        target_id: format!("target-{}", n % 1000),
        image: Some(ImageLocation {
            registry: "127.0.0.1:5000".into(),
            repository: "load/app".into(),
            ..ImageLocation::default()
        }),
        tag: "latest".into(),
        digest: format!("sha256:{n:064x}"),
        ..DigestChanged::default()
    })
}
