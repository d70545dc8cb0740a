//! A restart loses no decision and sends none twice: requests still in the
//! outbox go out again under their own event id (JetStream drops the
//! copy), and events published while the scheduler was down are handled
//! once it is back.

use prost::Message as _;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use tagwarden_bus::events::SeverityCounts;
use tagwarden_bus::{Envelope, Stream};

use crate::support::{App, Store, digest, eventually, spawn_app};

fn sqlite_url(app: &App) -> String {
    let file = app.config.data_dir.join("scheduler.db");
    format!("sqlite://{}?mode=rwc", file.display())
}

/// Puts `envelope` back in the outbox, as if the scheduler had died after
/// publishing it but before deleting it.
async fn requeue(app: &App, envelope: &Envelope) {
    let db = Database::connect(sqlite_url(app)).await.unwrap();
    let insert = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "INSERT INTO outbox (event_id, envelope, created_at_ms) VALUES (?, ?, ?)",
        [
            envelope.event_id.clone().into(),
            envelope.encode_to_vec().into(),
            0_i64.into(),
        ],
    );
    db.execute_raw(insert).await.unwrap();
    db.close().await.unwrap();
}

async fn outbox_len(app: &App) -> i64 {
    let db = Database::connect(sqlite_url(app)).await.unwrap();
    let count = Statement::from_string(DbBackend::Sqlite, "SELECT COUNT(*) AS n FROM outbox");
    let row = db.query_one_raw(count).await.unwrap().unwrap();
    let n = row.try_get::<i64>("", "n").unwrap();
    db.close().await.unwrap();
    n
}

#[tokio::test]
async fn a_restart_loses_no_decision_and_sends_none_twice() {
    let mut app = spawn_app(Store::Sqlite).await;
    app.digest_changed("target-1", "v1", &digest('a'), "").await;
    let (envelope, first) = app.scanner.next_envelope().await;

    app.restart_after(async |app: &mut App| {
        requeue(app, &envelope).await;
        app.complete(&first, SeverityCounts::default()).await;
        app.digest_changed("target-1", "v2", &digest('b'), &digest('a'))
            .await;
    })
    .await;

    let follow_up = app.scanner.next().await;
    assert_eq!(follow_up.digest, digest('b'));
    eventually("the outbox to empty", || async {
        outbox_len(&app).await == 0
    })
    .await;
    app.handled("test-scanner", Stream::Scans).await;
    app.scanner.assert_idle();
    let history = app.history("target-1").await;
    assert_eq!(history.len(), 2, "{history:?}");
    app.stop().await;
}
