//! The target row keeps every state the machine can be in.

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::ScanReason;

fn at(minutes: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + minutes * 60)
}

fn scan(id: &str, attempt: u32) -> Scan {
    Scan {
        id: ScanId::new(id),
        resolved: ResolvedTag::new("v1", "sha256:a"),
        reason: ScanReason::Retry,
        attempt,
    }
}

fn target(state: TargetState) -> StoredTarget {
    StoredTarget {
        image: ImageLocation {
            integration_id: "int-1".into(),
            provider: "oci".into(),
            account: String::new(),
            registry: "registry.example:5000".into(),
            repository: "team/app".into(),
        },
        state,
        changed_at: Some(at(3)),
        stored: true,
        ..StoredTarget::new("target-1")
    }
}

fn round_trip(state: TargetState) {
    let original = target(state);
    let back = StoredTarget::from_model(original.to_model(&DailyConfig::default())).unwrap();
    assert_eq!(back, original);
}

#[test]
fn every_phase_round_trips_through_the_row() {
    let current = Some(ResolvedTag::new("v2", "sha256:b"));
    round_trip(TargetState::new());
    round_trip(TargetState {
        current: current.clone(),
        phase: Phase::Scanning {
            scan: scan("scan-2", 2),
            deadline: at(40),
            database_updated: true,
        },
        deleted: false,
        last_completed_at: Some(at(1)),
        last_failed_at: Some(at(2)),
    });
    round_trip(TargetState {
        current,
        phase: Phase::AwaitingRetry {
            scan: scan("scan-3", 3),
            retry_at: at(50),
            error: "registry returned 503".into(),
        },
        deleted: true,
        last_completed_at: None,
        last_failed_at: None,
    });
}

#[test]
fn only_live_idle_targets_with_a_past_scan_are_due_daily() {
    let daily = DailyConfig::default();
    let idle = TargetState {
        current: Some(ResolvedTag::new("v1", "sha256:a")),
        last_completed_at: Some(at(0)),
        ..TargetState::new()
    };
    let due = target(idle.clone()).to_model(&daily).daily_due_at_ms;
    let expected = next_daily_at(at(0), "target-1", &daily);
    assert_eq!(due, Some(to_millis(expected)));

    let deleted = TargetState {
        deleted: true,
        ..idle.clone()
    };
    let scanning = TargetState {
        phase: Phase::Scanning {
            scan: scan("scan-1", 1),
            deadline: at(30),
            database_updated: false,
        },
        ..idle
    };
    for state in [deleted, scanning, TargetState::new()] {
        assert_eq!(target(state).to_model(&daily).daily_due_at_ms, None);
    }
}

#[test]
fn the_wake_time_is_the_deadline_or_the_retry_time() {
    let daily = DailyConfig::default();
    let scanning = TargetState {
        phase: Phase::Scanning {
            scan: scan("scan-1", 1),
            deadline: at(30),
            database_updated: false,
        },
        ..TargetState::new()
    };
    assert_eq!(
        target(scanning).to_model(&daily).wake_at_ms,
        Some(to_millis(at(30)))
    );
    assert_eq!(target(TargetState::new()).to_model(&daily).wake_at_ms, None);
}

#[test]
fn a_row_that_says_scanning_without_a_scan_is_refused() {
    let mut row = target(TargetState::new()).to_model(&DailyConfig::default());
    row.phase = "scanning".into();
    let error = StoredTarget::from_model(row).unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        "target target-1 is corrupt: phase \"scanning\" without its scan or time"
    );
}

mod at_scale {
    //! The timer loop's queries over 10,000 targets, on a real SQLite file.

    use sea_orm::{Database, DatabaseConnection, DbBackend, QueryTrait, Statement};
    use sea_orm_migration::MigratorTrait;

    use super::*;
    use crate::store::Migrator;

    const DAY: u64 = 24 * 60;

    async fn fresh_db() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("scheduler.db");
        let db = Database::connect(format!("sqlite://{}?mode=rwc", file.display()))
            .await
            .unwrap();
        Migrator::up(&db, None).await.unwrap();
        (dir, db)
    }

    /// An idle target last scanned at `scanned`, or one whose scan has been
    /// in flight since `scanned` when `in_flight`.
    fn row(n: usize, scanned: SystemTime, in_flight: bool, daily: &DailyConfig) -> ActiveModel {
        let phase = if in_flight {
            Phase::Scanning {
                scan: scan(&format!("scan-{n}"), 1),
                deadline: scanned + Duration::from_secs(30 * 60),
                database_updated: false,
            }
        } else {
            Phase::Idle
        };
        let target = StoredTarget {
            state: TargetState {
                current: Some(ResolvedTag::new("v1", "sha256:a")),
                phase,
                last_completed_at: Some(scanned),
                ..TargetState::new()
            },
            ..target(TargetState::new())
        };
        let target = StoredTarget {
            id: format!("target-{n:05}"),
            ..target
        };
        ActiveModel::from(target.to_model(daily)).reset_all()
    }

    /// 10,000 targets scanned at the start of day 1; of them, three were
    /// last scanned a day earlier and two have a scan in flight since then.
    async fn ten_thousand(db: &DatabaseConnection, daily: &DailyConfig) {
        let rows: Vec<ActiveModel> = (0..10_000)
            .map(|n| match n {
                0..3 => row(n, at(0), false, daily),
                3..5 => row(n, at(0), true, daily),
                _ => row(n, at(DAY), false, daily),
            })
            .collect();
        for chunk in rows.chunks(500) {
            Entity::insert_many(chunk.to_vec()).exec(db).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_tick_reads_only_the_due_targets_among_ten_thousand() {
        let (_dir, db) = fresh_db().await;
        let daily = DailyConfig::default();
        ten_thousand(&db, &daily).await;
        let now = at(DAY + 60);

        let mut due = daily_due(&db, now, 500).await.unwrap();
        due.sort();
        assert_eq!(due, ["target-00000", "target-00001", "target-00002"]);
        let waking = waking(&db, now, 500).await.unwrap();
        assert_eq!(waking, ["target-00003", "target-00004"]);
        assert_eq!(daily_due(&db, now, 2).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn the_due_queries_search_their_index_instead_of_scanning_the_table() {
        let (_dir, db) = fresh_db().await;
        for (column, index) in [
            (Column::DailyDueAtMs, "target_daily_due_at"),
            (Column::WakeAtMs, "target_wake_at"),
        ] {
            let query = due_query(column, at(0), 500).build(DbBackend::Sqlite);
            let explain = Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {}", query.sql),
                query.values.unwrap_or(sea_orm::Values(Vec::new())),
            );
            let plan: Vec<String> = db
                .query_all_raw(explain)
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get::<String>("", "detail").unwrap())
                .collect();
            let searched = format!("SEARCH target USING INDEX {index}");
            assert!(
                plan.iter().any(|step| step.starts_with(&searched)),
                "{plan:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_new_daily_interval_replans_every_due_time_at_start() {
        let (_dir, db) = fresh_db().await;
        ten_thousand(&db, &DailyConfig::default()).await;
        let twelve_hours =
            DailyConfig::new(Duration::from_secs(12 * 3600), Duration::from_secs(3600)).unwrap();

        assert_eq!(replan_daily(&db, &twelve_hours).await.unwrap(), 9_998);
        assert_eq!(replan_daily(&db, &twelve_hours).await.unwrap(), 0);
        let now = at(DAY + 12 * 60);
        assert_eq!(daily_due(&db, now, 20_000).await.unwrap().len(), 9_998);
    }
}
