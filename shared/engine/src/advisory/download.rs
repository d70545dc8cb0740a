//! Downloading the public OSV export: one `all.zip` per ecosystem under a
//! base URL (`https://osv-vulnerabilities.storage.googleapis.com` by
//! default), saved to a directory and then imported like any zip.
//!
//! Transient failures (connection errors, 429 and 5xx answers) are retried
//! with exponential backoff; a 404 is not retried: it means the ecosystem
//! does not exist under that name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

/// The public export's base URL.
pub const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Why an export could not be downloaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The request failed before an answer (connection, TLS, timeout).
    #[error("{url}: {source}")]
    Transport {
        /// The URL.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The downloaded file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The destination.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl DownloadError {
    fn is_transient(&self) -> bool {
        match self {
            DownloadError::Status { status, .. } => *status == 429 || *status >= 500,
            DownloadError::Transport { .. } => true,
            DownloadError::Io { .. } => false,
        }
    }
}

/// An HTTP client for the export: a generous timeout (a whole ecosystem's
/// zip is tens of megabytes) and a user agent naming us.
pub fn client() -> Result<reqwest::Client, DownloadError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .connect_timeout(Duration::from_secs(30))
        .user_agent(concat!("tagwarden/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|source| DownloadError::Transport {
            url: String::new(),
            source,
        })
}

/// The export URL of one ecosystem.
pub fn export_url(base: &str, ecosystem: &str) -> String {
    let ecosystem = ecosystem.replace(' ', "%20");
    format!("{}/{ecosystem}/all.zip", base.trim_end_matches('/'))
}

/// Downloads `all.zip` of each ecosystem into `dest` (as
/// `<ecosystem>.zip`) and returns the files, ready for
/// [`import`](super::import()).
pub async fn download_export(
    client: &reqwest::Client,
    base: &str,
    ecosystems: &[String],
    dest: &Path,
) -> Result<Vec<PathBuf>, DownloadError> {
    std::fs::create_dir_all(dest).map_err(|source| DownloadError::Io {
        path: dest.to_owned(),
        source,
    })?;
    let mut files = Vec::with_capacity(ecosystems.len());
    for ecosystem in ecosystems {
        let url = export_url(base, ecosystem);
        let body = (|| fetch(client, &url))
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_times(4),
            )
            .when(DownloadError::is_transient)
            .notify(|err, delay| tracing::debug!(%err, ?delay, "retrying osv export download"))
            .await?;
        let path = dest.join(format!("{}.zip", ecosystem.replace(['/', ' '], "_")));
        std::fs::write(&path, &body).map_err(|source| DownloadError::Io {
            path: path.clone(),
            source,
        })?;
        tracing::info!(%ecosystem, bytes = body.len(), "osv export downloaded");
        files.push(path);
    }
    Ok(files)
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, DownloadError> {
    let transport = |source| DownloadError::Transport {
        url: url.to_owned(),
        source,
    };
    let response = client.get(url).send().await.map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(DownloadError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    Ok(response.bytes().await.map_err(transport)?.to_vec())
}
