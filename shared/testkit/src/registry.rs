//! [`LocalRegistry`]: Debian's real `docker-registry` on loopback.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tempfile::TempDir;

use crate::command::run;
use crate::http::{HttpResponse, try_request};

/// How long a registry may take to answer `/v2/` after starting.
const STARTUP: Duration = Duration::from_secs(20);
/// Fresh ports tried when another process grabs the one picked.
const PORT_ATTEMPTS: usize = 5;

/// What to turn on in a [`LocalRegistry`].
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// htpasswd basic auth with this user name and password.
    pub basic_auth: Option<(String, String)>,
    /// Push notifications (the registry's webhook) sent to this endpoint.
    pub notifications: Option<NotificationEndpoint>,
    /// Accept Docker schema 1 manifests on push (off in distribution's
    /// defaults), so tests can store one and see it refused on pull.
    pub accept_schema1: bool,
}

/// A webhook the registry posts its push and pull events to: JSON
/// envelopes `{"events": [...]}` of media type
/// `application/vnd.docker.distribution.events.v1+json`, one event per
/// blob and manifest; a manifest push carries `target.repository` and
/// `target.tag`. Delivery is retried by the registry (threshold 3,
/// backoff 1s), so handlers must accept duplicates.
#[derive(Debug, Clone)]
pub struct NotificationEndpoint {
    /// Where events are POSTed.
    pub url: String,
    /// Extra request headers, e.g. `("Authorization", "Bearer …")`.
    pub headers: Vec<(String, String)>,
}

/// A running `docker-registry serve` on `127.0.0.1`, storage in a
/// temporary directory. The process is killed and the storage removed on
/// drop, so each test gets its own registry.
#[derive(Debug)]
pub struct LocalRegistry {
    child: Child,
    dir: TempDir,
    host: String,
    basic_auth: Option<(String, String)>,
}

impl LocalRegistry {
    /// An open registry (no auth).
    pub fn start() -> Self {
        Self::start_with(RegistryOptions::default())
    }

    /// A registry that wants this user name and password (HTTP basic).
    pub fn start_with_basic_auth(user: &str, password: &str) -> Self {
        let basic_auth = Some((user.to_owned(), password.to_owned()));
        Self::start_with(RegistryOptions {
            basic_auth,
            ..RegistryOptions::default()
        })
    }

    /// A registry with `options`; waits until `/v2/` answers.
    pub fn start_with(options: RegistryOptions) -> Self {
        let mut dir = tempfile::tempdir().expect("temporary directory");
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            let config = write_config(dir.path(), &host, &options);
            let log = fs::File::create(dir.path().join("registry.log")).expect("log file");
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start docker-registry ({e}); see infra/local/deps.sh")
                });
            let mut registry = Self {
                child,
                dir,
                host,
                basic_auth: options.basic_auth.clone(),
            };
            match registry.wait_until_up() {
                Ok(()) => return registry,
                Err(log) => {
                    last_log = log;
                    let _ = registry.child.kill();
                    let _ = registry.child.wait();
                    if !last_log.contains("address already in use") {
                        break;
                    }
                    dir = std::mem::replace(&mut registry.dir, tempfile::tempdir().expect("tmp"));
                }
            }
        }
        panic!("docker-registry did not come up:\n{last_log}");
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The user name and password, when basic auth is on.
    pub fn basic_auth(&self) -> Option<(&str, &str)> {
        self.basic_auth
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// The registry's storage root (`docker/registry/v2/…` below it).
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// What the registry has logged so far, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Flips one byte of a stored blob, so the registry serves bytes that
    /// no longer match `digest` (`sha256:…`), as a failing disk or a
    /// tampering proxy would. The size stays the same.
    pub fn corrupt_blob(&self, digest: &str) {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        let path = self
            .storage_dir()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data");
        let mut bytes = fs::read(&path).unwrap_or_else(|e| panic!("blob {digest}: {e}"));
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        fs::write(&path, bytes).expect("rewrite blob");
    }

    /// Sends a request straight to the registry API (with the basic
    /// credentials, if any). `path` starts with `/v2/`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> HttpResponse {
        let mut all = headers.to_vec();
        if let Some((user, password)) = &self.basic_auth {
            let encoded = STANDARD.encode(format!("{user}:{password}"));
            all.push(("Authorization", format!("Basic {encoded}")));
        }
        try_request(&self.host, method, path, &all, body)
            .unwrap_or_else(|| panic!("{method} {path} failed; registry log:\n{}", self.log()))
    }

    /// Sends a request without credentials, as a stranger would.
    pub fn anonymous_request(&self, method: &str, path: &str) -> HttpResponse {
        try_request(&self.host, method, path, &[], &[])
            .unwrap_or_else(|| panic!("{method} {path} failed; registry log:\n{}", self.log()))
    }

    /// Stores a manifest under `reference` (a tag or digest) through the
    /// API and returns the digest the registry reports. Fast: one request,
    /// so pushing one manifest under hundreds of tags takes a moment.
    pub fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> String {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let response = self.request(
            "PUT",
            &path,
            &[("Content-Type", media_type.to_owned())],
            body,
        );
        assert_eq!(
            response.status,
            201,
            "PUT {path}: {}",
            String::from_utf8_lossy(&response.body)
        );
        response
            .header("docker-content-digest")
            .expect("digest header")
            .to_owned()
    }

    /// Uploads a blob in one request and returns its digest.
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = crate::index::sha256(bytes);
        let start = self.request("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], &[]);
        assert_eq!(
            start.status,
            202,
            "start upload: {}",
            String::from_utf8_lossy(&start.body)
        );
        let location = start.header("location").expect("upload location");
        let path = location.split_once(&self.host).map_or(location, |(_, p)| p);
        let sep = if path.contains('?') { '&' } else { '?' };
        let put = format!("{path}{sep}digest={digest}");
        let headers = [("Content-Type", "application/octet-stream".to_owned())];
        let done = self.request("PUT", &put, &headers, bytes);
        assert_eq!(
            done.status,
            201,
            "finish upload: {}",
            String::from_utf8_lossy(&done.body)
        );
        digest
    }

    fn wait_until_up(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}:\n{}", self.log()));
            }
            if let Some(r) = try_request(&self.host, "GET", "/v2/", &[], &[])
                && (r.status == 200 || r.status == 401)
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "no answer on {} within {STARTUP:?}:\n{}",
            self.host,
            self.log()
        ))
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago (the registry may still lose a race
/// for it; [`LocalRegistry::start_with`] then tries another).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

fn write_config(dir: &Path, host: &str, options: &RegistryOptions) -> PathBuf {
    let storage = dir.join("storage");
    let mut yaml = format!(
        "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
         \x20 maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: {host}\n  secret: tagwarden-testkit\n",
        storage.display()
    );
    if let Some((user, password)) = &options.basic_auth {
        let line = run("htpasswd", ["-Bbn", user.as_str(), password.as_str()]);
        let htpasswd = dir.join("htpasswd");
        fs::write(&htpasswd, line.trim_end()).expect("write htpasswd");
        yaml.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: tagwarden-test\n    path: {}\n",
            htpasswd.display()
        ));
    }
    if let Some(endpoint) = &options.notifications {
        yaml.push_str(&format!(
            "notifications:\n  endpoints:\n    - name: tagwarden\n      url: {}\n\
             \x20     timeout: 2s\n      threshold: 3\n      backoff: 1s\n",
            endpoint.url
        ));
        if !endpoint.headers.is_empty() {
            yaml.push_str("      headers:\n");
            for (name, value) in &endpoint.headers {
                yaml.push_str(&format!("        {name}: [{value:?}]\n"));
            }
        }
    }
    if options.accept_schema1 {
        yaml.push_str("compatibility:\n  schema1:\n    enabled: true\n");
    }
    let path = dir.join("config.yml");
    fs::write(&path, yaml).expect("write registry config");
    path
}
