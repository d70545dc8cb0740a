//! The runtime against real servers: a SQLite file and a fresh PostgreSQL
//! database each run a migration; a real gRPC server enforces the token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;
use secrecy::SecretString;
use tagwarden_runtime::auth::BearerToken;
use tagwarden_runtime::db::{self, DatabaseConfig};
use tagwarden_runtime::grpc;
use tagwarden_runtime::testing::TestDatabase;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// A stand-in for a service's migrations: one table.
struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateWidgets)]
    }
}

#[derive(DeriveMigrationName)]
struct CreateWidgets;

#[async_trait::async_trait]
impl MigrationTrait for CreateWidgets {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("widgets")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("name").string().not_null())
                    .to_owned(),
            )
            .await
    }
}

async fn insert_and_count(db: &sea_orm::DatabaseConnection) -> i64 {
    db.execute_unprepared("INSERT INTO widgets (id, name) VALUES (1, 'one')")
        .await
        .unwrap();
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM widgets",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn sqlite_file_in_the_data_dir_is_created_and_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested/data");
    let db = db::connect::<Migrator>(&DatabaseConfig::default(), &data_dir, "widgets")
        .await
        .unwrap();
    assert_eq!(db.get_database_backend(), DatabaseBackend::Sqlite);
    assert!(data_dir.join("widgets.db").exists());
    assert_eq!(insert_and_count(&db).await, 1);

    // A second start finds the migration applied and changes nothing.
    db.close().await.unwrap();
    let again = db::connect::<Migrator>(&DatabaseConfig::default(), &data_dir, "widgets")
        .await
        .unwrap();
    assert_eq!(insert_and_count_existing(&again).await, 1);
}

async fn insert_and_count_existing(db: &sea_orm::DatabaseConnection) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM widgets",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn postgres_url_connects_and_migrates() {
    let test_db = TestDatabase::create().await;
    let config = DatabaseConfig {
        url: Some(SecretString::from(test_db.url.clone())),
        ..DatabaseConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let db = db::connect::<Migrator>(&config, dir.path(), "widgets")
        .await
        .unwrap();
    assert_eq!(db.get_database_backend(), DatabaseBackend::Postgres);
    assert_eq!(insert_and_count(&db).await, 1);
    // Nothing was written to the data dir: PostgreSQL holds the data.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    db.close().await.unwrap();
    test_db.drop_database().await;
}

#[tokio::test]
async fn unreachable_database_error_hides_the_password() {
    let config = DatabaseConfig {
        url: Some(SecretString::from(
            "postgres://tw:hunter2@127.0.0.1:1/nothing".to_owned(),
        )),
        connect_timeout: std::time::Duration::from_millis(300),
        ..DatabaseConfig::default()
    };
    let err = db::connect::<Migrator>(&config, std::path::Path::new("."), "x")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("cannot connect to database postgres://tw:***@127.0.0.1:1/"));
    assert!(!message.contains("hunter2"), "{message}");
}

/// Serves a health service behind the auth interceptor (as an API would be)
/// and returns its address.
async fn serve_protected(shutdown: CancellationToken) -> std::net::SocketAddr {
    let listener = grpc::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = grpc::GrpcConfig {
        listen: None,
        token: Some("s3cret".to_owned().into()),
    };
    let (reporter, _) = grpc::health_routes();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let (_, protected) = tonic_health::server::health_reporter();
    let routes =
        tonic::service::Routes::new(InterceptedService::new(protected, config.auth().unwrap()));
    tokio::spawn(grpc::serve(listener, routes, shutdown));
    addr
}

#[tokio::test]
async fn api_refuses_missing_and_wrong_tokens_and_accepts_the_right_one() {
    let shutdown = CancellationToken::new();
    let addr = serve_protected(shutdown.clone()).await;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let request = || HealthCheckRequest {
        service: String::new(),
    };

    let status = HealthClient::new(channel.clone())
        .check(request())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    let wrong = BearerToken::new("guess").unwrap();
    let status = HealthClient::with_interceptor(channel.clone(), wrong)
        .check(request())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "invalid token");

    let right = BearerToken::new("s3cret").unwrap();
    // Authenticated, so the call reaches the service (which knows no status
    // for the overall server in this fresh reporter).
    let answer = HealthClient::with_interceptor(channel, right)
        .check(request())
        .await;
    assert!(answer.is_ok(), "{answer:?}");
    shutdown.cancel();
}

#[tokio::test]
async fn a_service_without_a_token_refuses_to_start() {
    let err = grpc::GrpcConfig::default().auth().unwrap_err();
    assert!(err.to_string().starts_with("no API token configured"));
}
