//! Helpers for tests that need a real database: each test gets a fresh
//! PostgreSQL database of its own, or a SQLite file in a temporary folder.

use sea_orm::{ConnectionTrait, Database};

/// The server tests create their databases on; override with
/// `TAGWARDEN_TEST_POSTGRES_URL` (it must allow `CREATE DATABASE`).
pub fn postgres_admin_url() -> String {
    std::env::var("TAGWARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A PostgreSQL database created for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// Connection URL of the new database.
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// Creates an empty database with a unique name.
    ///
    /// # Panics
    /// When PostgreSQL is not reachable: the test cannot mean anything then.
    pub async fn create() -> Self {
        let admin_url = postgres_admin_url();
        let name = format!("tw_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must be running at {admin_url}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// Drops the database. Call at the end of the test; a database left by a
    /// failed test only costs disk space.
    pub async fn drop_database(self) {
        if let Ok(admin) = Database::connect(&postgres_admin_url()).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = admin.execute_unprepared(&sql).await;
            let _ = admin.close().await;
        }
    }
}
