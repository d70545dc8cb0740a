//! The advisory database of the running scanner service: `vulndb import
//! SOURCE` and `vulndb status` when no `--db PATH` names a local database
//! file (that local branch is `vulndb.rs`).
//!
//! The scanner reads SOURCE itself, so a directory or zip must be a path on
//! the scanner's machine; a relative path that exists here is made absolute,
//! which is right when the scanner runs on this machine (a local run).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tagwarden_proto::scanner::v1::{
    DatabaseStatusRequest, DatabaseStatusResponse, ImportDatabaseRequest,
};

use crate::client::Clients;
use crate::output::{self, Format, Render};

/// Asks the scanner to import a new database version from `source` (a
/// directory, a zip file or an http(s) URL of an OSV export), and shows the
/// version it now matches against. Waits as long as the import takes.
pub(crate) async fn import(clients: &Clients, source: &str, format: Format) -> anyhow::Result<()> {
    let mut scanner = clients.scanner(true).await?;
    let request = ImportDatabaseRequest {
        source: absolute(source),
    };
    let status = scanner.import_database(request).await?.into_inner();
    output::show(&DatabaseView::from(status), format)
}

/// Shows the scanner's database version, when it was imported, and what
/// it covers.
pub(crate) async fn status(clients: &Clients, format: Format) -> anyhow::Result<()> {
    let mut scanner = clients.scanner(false).await?;
    let status = scanner
        .database_status(DatabaseStatusRequest {})
        .await?
        .into_inner();
    output::show(&DatabaseView::from(status), format)
}

/// `source` as the scanner should read it: URLs and paths that do not
/// exist here unchanged, local relative paths made absolute.
fn absolute(source: &str) -> String {
    if source.contains("://") || Path::new(source).is_absolute() {
        return source.to_owned();
    }
    match std::fs::canonicalize(source) {
        Ok(path) => path.display().to_string(),
        Err(_) => source.to_owned(),
    }
}

/// The database as shown.
#[derive(Debug, Serialize)]
pub(crate) struct DatabaseView {
    pub(crate) version: String,
    pub(crate) imported_at: Option<DateTime<Utc>>,
    pub(crate) advisory_count: u64,
    pub(crate) ecosystems: Vec<String>,
}

impl From<DatabaseStatusResponse> for DatabaseView {
    fn from(status: DatabaseStatusResponse) -> Self {
        Self {
            imported_at: output::time(status.imported_at.as_ref()),
            version: status.version,
            advisory_count: status.advisory_count,
            ecosystems: status.ecosystems,
        }
    }
}

impl Render for DatabaseView {
    fn table(&self) -> String {
        if self.version.is_empty() {
            return "the scanner has no advisory database yet; import one with \
                    `tagwardenctl vulndb import SOURCE`\n"
                .to_owned();
        }
        output::record(&[
            ("version", self.version.clone()),
            ("imported", output::when(self.imported_at)),
            ("advisories", self.advisory_count.to_string()),
            ("ecosystems", output::or_dash(&self.ecosystems.join(", "))),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> DatabaseStatusResponse {
        DatabaseStatusResponse {
            version: "osv-2026-03-01T00:00:00Z".into(),
            imported_at: Some(prost_types::Timestamp {
                seconds: 1_772_366_400,
                nanos: 0,
            }),
            advisory_count: 41_234,
            ecosystems: vec!["Debian".into(), "PyPI".into()],
        }
    }

    #[test]
    fn status_shows_version_time_count_and_ecosystems() {
        assert_eq!(
            DatabaseView::from(status()).table(),
            "version     osv-2026-03-01T00:00:00Z\n\
             imported    2026-03-01 12:00:00 UTC\n\
             advisories  41234\n\
             ecosystems  Debian, PyPI\n"
        );
    }

    #[test]
    fn an_empty_database_says_how_to_fill_it() {
        let view = DatabaseView::from(DatabaseStatusResponse::default());
        assert!(
            view.table()
                .starts_with("the scanner has no advisory database yet")
        );
        let json = output::render(&view, Format::Json).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["advisory_count"], 0);
    }

    #[test]
    fn urls_and_absolute_paths_pass_unchanged() {
        assert_eq!(
            absolute("https://example.test/all.zip"),
            "https://example.test/all.zip"
        );
        assert_eq!(absolute("/srv/osv"), "/srv/osv");
        assert_eq!(absolute("no/such/dir"), "no/such/dir");
        let here = std::env::current_dir().unwrap();
        assert_eq!(
            absolute("."),
            here.canonicalize().unwrap().display().to_string()
        );
    }
}
