//! The periodic database import: an instance with a configured source
//! imports it at start and announces it; a second instance importing the
//! same data records and announces nothing new.

use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use tagwarden_bus::Event;
use tagwarden_proto::scanner::v1::DatabaseStatusRequest;
use tagwarden_scanner::Settings;

use crate::support::small;
use crate::support::{Harness, Instance, Store, eventually, quick};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_source_is_imported_at_start_and_announced_once() {
    let mut harness = Harness::new(Store::Sqlite).await;
    let osv = small::advisories(harness.dir.path(), "osv", &[]);
    let settings = || Settings {
        database_source: Some(osv.display().to_string()),
        ..quick()
    };
    let mut first = Instance::start(harness.config("a", settings())).await;
    let Event::VulndbUpdated(updated) = harness
        .results
        .wait(|e| matches!(e, Event::VulndbUpdated(_)))
        .await
    else {
        unreachable!()
    };
    assert_eq!(updated.previous_version, "");
    assert!(updated.advisory_count > 4);
    let status = first
        .api
        .database_status(DatabaseStatusRequest {})
        .await
        .unwrap();
    assert_eq!(status.into_inner().version, updated.database_version);

    // A second instance with a file of its own imports the same records:
    // the same version, so nothing is recorded and nothing announced. Its
    // status answers once its import wrote the file; stopping it lets the
    // import finish whatever it does next, and the store then shows it.
    let mut config = harness.config("b", settings());
    config.service.advisory_db = Some(harness.dir.path().join("b-advisories.redb"));
    let second = Instance::start(config).await;
    eventually("the second instance's import", || {
        let mut api = second.api.clone();
        async move { api.database_status(DatabaseStatusRequest {}).await.is_ok() }
    })
    .await;
    first.stop().await;
    second.stop().await;
    let url = format!(
        "sqlite://{}",
        harness.dir.path().join("scanner.db").display()
    );
    let db = sea_orm::Database::connect(url).await.unwrap();
    for (table, rows) in [("database_import", 1), ("outbox", 0)] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), rows, "{table}");
    }
    harness.finish().await;
}
