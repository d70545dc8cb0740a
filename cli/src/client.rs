//! Where the services are and how to prove who we are: service URLs and
//! the API token from flags, then environment, then the config file
//! (`~/.config/tagwarden/cli.toml`), then the defaults of a local run; and
//! one authenticated gRPC client per service built from them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use tagwarden_proto::discovery::v1::discovery_client::DiscoveryClient;
use tagwarden_proto::licensing::v1::licensing_client::LicensingClient;
use tagwarden_proto::scanner::v1::scanner_client::ScannerClient;
use tagwarden_proto::scheduler::v1::scheduler_client::SchedulerClient;
use tagwarden_runtime::auth::BearerToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::Endpoints;

/// A channel that sends the bearer token with every call.
pub(crate) type Authed = InterceptedService<Channel, BearerToken>;

/// How long to wait for a service to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one call may take; an advisory database import has no limit.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The token and config file flags, next to the service URLs.
#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct Access {
    /// API token sent as `authorization: Bearer <token>` [default: `token`
    /// in the config file].
    #[arg(long, env = "TAGWARDEN_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Config file with `token` and service URLs (`licensing = "http://…"`)
    /// [default: ~/.config/tagwarden/cli.toml, when it exists].
    #[arg(long, env = "TAGWARDEN_CLI_CONFIG", value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
}

/// What the config file may set; everything is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FileConfig {
    token: Option<SecretString>,
    discovery: Option<String>,
    licensing: Option<String>,
    tag_watcher: Option<String>,
    scheduler: Option<String>,
    scanner: Option<String>,
}

/// Each service's URL after flags, environment, file and defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceUrls {
    pub(crate) discovery: String,
    pub(crate) licensing: String,
    pub(crate) tag_watcher: String,
    pub(crate) scheduler: String,
    pub(crate) scanner: String,
}

impl ServiceUrls {
    /// Flags and environment (already in `endpoints`) win over the file,
    /// which wins over the ports of a local run.
    pub(crate) fn resolve(endpoints: &Endpoints, file: &FileConfig) -> Self {
        let pick = |flag: &Option<String>, file: &Option<String>, port: u16| {
            flag.clone()
                .or_else(|| file.clone())
                .unwrap_or_else(|| format!("http://127.0.0.1:{port}"))
        };
        Self {
            discovery: pick(&endpoints.discovery, &file.discovery, 50051),
            licensing: pick(&endpoints.licensing, &file.licensing, 50052),
            tag_watcher: pick(&endpoints.tag_watcher, &file.tag_watcher, 50053),
            scheduler: pick(&endpoints.scheduler, &file.scheduler, 50054),
            scanner: pick(&endpoints.scanner, &file.scanner, 50055),
        }
    }
}

/// Reads the config file: `explicit` must exist; the default path is read
/// only when it does.
pub(crate) fn load_file(explicit: Option<&Path>) -> anyhow::Result<FileConfig> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => match default_path() {
            Some(path) if path.exists() => path,
            _ => return Ok(FileConfig::default()),
        },
    };
    let source = config::File::from(path.as_path()).format(config::FileFormat::Toml);
    config::Config::builder()
        .add_source(source)
        .build()
        .and_then(config::Config::try_deserialize)
        .with_context(|| format!("failed to read config file {}", path.display()))
}

/// `$XDG_CONFIG_HOME/tagwarden/cli.toml`, else under `$HOME/.config`.
fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(base.join("tagwarden").join("cli.toml"))
}

/// Builds authenticated clients of the services on demand.
#[derive(Debug)]
pub(crate) struct Clients {
    pub(crate) urls: ServiceUrls,
    token: Option<SecretString>,
}

impl Clients {
    /// Resolves URLs and token from the command line and the config file.
    pub(crate) fn new(endpoints: &Endpoints, access: &Access) -> anyhow::Result<Self> {
        let file = load_file(access.config.as_deref())?;
        let urls = ServiceUrls::resolve(endpoints, &file);
        let token = access.token.clone().map(SecretString::from).or(file.token);
        Ok(Self { urls, token })
    }

    pub(crate) async fn discovery(&self) -> anyhow::Result<DiscoveryClient<Authed>> {
        let bearer = self.bearer()?;
        let channel = connect("discovery", &self.urls.discovery, Some(CALL_TIMEOUT)).await?;
        Ok(DiscoveryClient::with_interceptor(channel, bearer))
    }

    pub(crate) async fn licensing(&self) -> anyhow::Result<LicensingClient<Authed>> {
        let bearer = self.bearer()?;
        let channel = connect("licensing", &self.urls.licensing, Some(CALL_TIMEOUT)).await?;
        Ok(LicensingClient::with_interceptor(channel, bearer))
    }

    pub(crate) async fn scheduler(&self) -> anyhow::Result<SchedulerClient<Authed>> {
        let bearer = self.bearer()?;
        let channel = connect("scheduler", &self.urls.scheduler, Some(CALL_TIMEOUT)).await?;
        Ok(SchedulerClient::with_interceptor(channel, bearer))
    }

    /// The scanner; `patient` lifts the call timeout for long imports.
    pub(crate) async fn scanner(&self, patient: bool) -> anyhow::Result<ScannerClient<Authed>> {
        let bearer = self.bearer()?;
        let timeout = (!patient).then_some(CALL_TIMEOUT);
        let channel = connect("scanner", &self.urls.scanner, timeout).await?;
        Ok(ScannerClient::with_interceptor(channel, bearer))
    }

    /// The token interceptor; asked for before connecting, so a missing
    /// token is reported as such rather than as whatever the network says.
    fn bearer(&self) -> anyhow::Result<BearerToken> {
        let token = self.token.as_ref().context(
            "no API token: pass --token, set TAGWARDEN_TOKEN, or set `token` in \
             ~/.config/tagwarden/cli.toml",
        )?;
        BearerToken::new(token.expose_secret())
            .map_err(|_| anyhow::anyhow!("the API token holds characters a header cannot carry"))
    }
}

/// Connects now, so an unreachable service fails as UNAVAILABLE naming
/// the service and URL rather than as a bare transport error later.
async fn connect(service: &str, url: &str, timeout: Option<Duration>) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid {service} URL {url:?}"))?
        .connect_timeout(CONNECT_TIMEOUT);
    let endpoint = match timeout {
        Some(timeout) => endpoint.timeout(timeout),
        None => endpoint,
    };
    endpoint.connect().await.map_err(|err| {
        let why = causes(&err);
        tonic::Status::unavailable(format!("cannot reach {service} at {url} ({why})")).into()
    })
}

/// The innermost cause of `err`: the one that says what actually failed.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = err;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn endpoints(licensing: Option<&str>) -> Endpoints {
        Endpoints {
            discovery: None,
            licensing: licensing.map(str::to_owned),
            tag_watcher: None,
            scheduler: None,
            scanner: None,
        }
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let file = FileConfig {
            licensing: Some("http://file:1".into()),
            scanner: Some("http://file:2".into()),
            ..FileConfig::default()
        };
        let urls = ServiceUrls::resolve(&endpoints(Some("http://flag:1")), &file);
        assert_eq!(urls.licensing, "http://flag:1");
        assert_eq!(urls.scanner, "http://file:2");
        assert_eq!(urls.scheduler, "http://127.0.0.1:50054");
        assert_eq!(urls.discovery, "http://127.0.0.1:50051");
    }

    #[test]
    fn the_file_gives_token_and_urls() {
        let mut file = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
        writeln!(file, "token = \"t0k\"\nlicensing = \"http://lic:9\"").unwrap();
        let loaded = load_file(Some(file.path())).unwrap();
        assert_eq!(loaded.token.unwrap().expose_secret(), "t0k");
        assert_eq!(loaded.licensing.as_deref(), Some("http://lic:9"));
    }

    #[test]
    fn unknown_keys_and_missing_explicit_files_are_errors() {
        let mut file = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
        writeln!(file, "tokn = \"typo\"").unwrap();
        let err = load_file(Some(file.path())).unwrap_err();
        assert!(format!("{err:#}").contains("tokn"), "{err:#}");
        assert!(load_file(Some(Path::new("/nonexistent/cli.toml"))).is_err());
    }

    #[tokio::test]
    async fn an_unreachable_service_is_unavailable_and_named() {
        // Port 9 on loopback: nothing listens there in a test sandbox.
        let err = connect("licensing", "http://127.0.0.1:9", None)
            .await
            .unwrap_err();
        let status = err.downcast_ref::<tonic::Status>().unwrap();
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(
            status
                .message()
                .starts_with("cannot reach licensing at http://127.0.0.1:9 ("),
            "{}",
            status.message()
        );
    }

    #[test]
    fn a_missing_token_says_where_to_put_one() {
        let clients = Clients {
            urls: ServiceUrls::resolve(&endpoints(None), &FileConfig::default()),
            token: None,
        };
        let err = clients.bearer().unwrap_err();
        assert!(err.to_string().starts_with("no API token: pass --token"));
    }
}
