//! A whole service lifecycle on real NATS and SQLite: start, report
//! SERVING on the health service, stop cleanly on shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm_migration::prelude::*;
use tagwarden_runtime::{Service, ServiceConfig};
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

struct NoMigrations;

impl MigratorTrait for NoMigrations {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        Vec::new()
    }
}

#[tokio::test]
async fn service_starts_serves_health_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServiceConfig::<()> {
        data_dir: dir.path().to_owned(),
        ..ServiceConfig::default()
    };
    config.nats.namespace = format!("t{}", uuid::Uuid::now_v7().simple());
    config.grpc.listen = Some("127.0.0.1:0".parse().unwrap());
    config.grpc.token = Some("t".to_owned().into());

    let shutdown = CancellationToken::new();
    let service = Service::start::<NoMigrations, _>("example", 1, &config, shutdown.clone())
        .await
        .unwrap();
    let addr = service.local_addr();
    let bus = service.bus.clone();
    let running = tokio::spawn(service.run());

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    let status = loop {
        let answer = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap();
        if answer.get_ref().status != ServingStatus::ServiceUnknown as i32 {
            break answer.into_inner().status;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(status, ServingStatus::Serving as i32);
    assert!(dir.path().join("example.db").exists());

    shutdown.cancel();
    running.await.unwrap().unwrap();
    bus.delete_streams().await;
}

#[tokio::test]
async fn service_without_token_does_not_start() {
    let config = ServiceConfig::<()>::default();
    let err = Service::start::<NoMigrations, _>("example", 1, &config, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("no API token configured"),
        "{err}"
    );
}
