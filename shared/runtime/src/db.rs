//! Each service's own datastore: a SQLite file under the data directory by
//! default, PostgreSQL when a URL says so. Migrations run at every start, so
//! a new version of a service brings its schema with it.

use std::path::Path;
use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use thiserror::Error;
use tracing::info;

/// Where a service keeps its data.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://path?mode=rwc` or `postgres://user:pass@host/db`. When unset,
    /// the service uses `<data_dir>/<service>.db`. Treated as a secret: it
    /// may hold a password, so it is never logged whole.
    pub url: Option<SecretString>,
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// How long to keep trying to reach the database at start, in seconds.
    #[serde(deserialize_with = "crate::config::seconds")]
    pub connect_timeout: Duration,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 10,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Opening the datastore failed.
#[derive(Debug, Error)]
pub enum DbError {
    /// The data directory for the SQLite file could not be created.
    #[error("cannot create data directory {dir}: {source}")]
    DataDir {
        /// The directory.
        dir: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database did not accept the connection.
    #[error("cannot connect to database {url}: {source}")]
    Connect {
        /// The URL without its password.
        url: String,
        /// What the driver said.
        #[source]
        source: DbErr,
    },
    /// A migration failed; the service must not run on a half-migrated schema.
    #[error("migrations failed on {url}: {source}")]
    Migrate {
        /// The URL without its password.
        url: String,
        /// What the driver said.
        #[source]
        source: DbErr,
    },
}

/// The URL a service connects to: the configured one, or its SQLite file.
pub fn database_url(config: &DatabaseConfig, data_dir: &Path, service: &str) -> SecretString {
    match &config.url {
        Some(url) => url.clone(),
        None => {
            let file = data_dir.join(format!("{service}.db"));
            SecretString::from(format!("sqlite://{}?mode=rwc", file.display()))
        }
    }
}

/// Connects to the service's datastore and applies its migrations.
pub async fn connect<M: MigratorTrait>(
    config: &DatabaseConfig,
    data_dir: &Path,
    service: &str,
) -> Result<DatabaseConnection, DbError> {
    let url = database_url(config, data_dir, service);
    let shown = redact(url.expose_secret());
    if config.url.is_none() {
        std::fs::create_dir_all(data_dir).map_err(|source| DbError::DataDir {
            dir: data_dir.display().to_string(),
            source,
        })?;
    }
    let mut options = ConnectOptions::new(url.expose_secret().to_owned());
    options
        .max_connections(config.max_connections.max(1))
        .connect_timeout(config.connect_timeout)
        .sqlx_logging(false)
        // Several writers share one SQLite file: wait for the lock instead
        // of failing, and let readers proceed while one writes.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    let db = Database::connect(options)
        .await
        .map_err(|source| DbError::Connect {
            url: shown.clone(),
            source,
        })?;
    M::up(&db, None).await.map_err(|source| DbError::Migrate {
        url: shown.clone(),
        source,
    })?;
    info!(database = %shown, "database ready");
    Ok(db)
}

/// The URL with any password replaced by `***`, for logs and errors.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    let password = if userinfo.contains(':') { ":***" } else { "" };
    let slash = if rest.contains('/') { "/" } else { "" };
    format!("{scheme}://{user}{password}@{host}{slash}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://tw:s3cret@db:5432/licensing"),
            "postgres://tw:***@db:5432/licensing"
        );
        assert_eq!(redact("postgres://tw@db/x"), "postgres://tw@db/x");
        assert_eq!(
            redact("sqlite://.data/x.db?mode=rwc"),
            "sqlite://.data/x.db?mode=rwc"
        );
        assert_eq!(redact("postgres://a:b:c@h"), "postgres://a:***@h");
    }

    #[test]
    fn default_url_is_a_sqlite_file_in_the_data_dir() {
        let url = database_url(
            &DatabaseConfig::default(),
            Path::new("/var/lib/tw"),
            "scheduler",
        );
        assert_eq!(
            url.expose_secret(),
            "sqlite:///var/lib/tw/scheduler.db?mode=rwc"
        );
    }
}
