//! Blobs, streamed through oci-client with their digest verified as the
//! bytes flow; a layer is never held in memory.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use oci_client::client::{ClientConfig as OciConfig, ClientProtocol};
use oci_client::errors::{DigestError, OciDistributionError, OciErrorCode};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use secrecy::ExposeSecret;
use tokio::io::AsyncBufRead;
use tokio_util::io::StreamReader;

use super::RegistryClient;
use crate::credentials::Credentials;
use crate::digest::Digest;
use crate::error::{BlobError, Failure};
use crate::host::RegistryHost;
use crate::manifest::{Descriptor, ResolvedImage};
use crate::reference::ImageReference;
use crate::transport::{Attempt, Call, describe, with_retries};
use reqwest::Method;

/// The largest image config read into memory.
const CONFIG_LIMIT: u64 = 16 * 1024 * 1024;

/// One oci-client per registry, rebuilt when the credentials change:
/// oci-client keeps the first credentials it sees for a registry forever,
/// and cloud registries rotate theirs.
#[derive(Default)]
pub(crate) struct OciClients {
    by_host: Mutex<HashMap<RegistryHost, (Credentials, oci_client::Client)>>,
}

impl fmt::Debug for OciClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OciClients").finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// Streams one blob (a layer or config) of `image`. The stream ends
    /// with [`BlobError::DigestMismatch`] if the bytes do not hash to the
    /// descriptor's digest, and with [`BlobError::TooLarge`] as soon as more
    /// bytes arrive than the descriptor's size, so a hostile registry
    /// cannot feed it forever.
    ///
    /// Starting the download is retried like other requests (without
    /// `Retry-After`, which oci-client does not pass on); a download that
    /// breaks part way is not resumed: the caller retries the whole blob.
    /// Foreign layers (descriptor `urls`, used by old Windows base images)
    /// are fetched from the registry only, never from the URLs they list.
    #[tracing::instrument(skip(self, descriptor), fields(image = %image, digest = %descriptor.digest))]
    pub async fn blob(
        &self,
        image: &ImageReference,
        descriptor: &Descriptor,
    ) -> Result<BlobStream, BlobError> {
        let fail = |f: Failure| f.for_blob(image, &descriptor.digest);
        let registry = image.registry();
        let credentials = self.transport().credentials(registry).await.map_err(fail)?;
        let client = self.oci_client(registry, &credentials);
        let reference = oci_client::Reference::with_digest(
            registry.api_host().to_owned(),
            image.repository().name().to_owned(),
            descriptor.digest.to_string(),
        );
        client
            .store_auth_if_needed(reference.resolve_registry(), &oci_auth(&credentials))
            .await;
        let oci_descriptor = OciDescriptor {
            media_type: descriptor.media_type.clone(),
            digest: descriptor.digest.to_string(),
            size: i64::try_from(descriptor.size).unwrap_or(i64::MAX),
            ..OciDescriptor::default()
        };
        let what = format!("blob {}", descriptor.digest);
        let stream = with_retries(&self.config().retry, &what, || async {
            client
                .pull_blob_stream(&reference, &oci_descriptor)
                .await
                .map_err(classify)
        })
        .await
        .map_err(fail)?;
        Ok(BlobStream {
            inner: stream.stream,
            image: image.clone(),
            digest: descriptor.digest.clone(),
            size: descriptor.size,
            received: 0,
            done: false,
        })
    }

    /// The image config of `resolved`, verified, as raw JSON bytes.
    ///
    /// Read through our own transport rather than oci-client: the config is
    /// small, and oci-client pings `/v2/` before every blob of a registry
    /// that needs no token, which doubled the requests of a discovery sync
    /// (one config per tag).
    pub async fn config_blob(&self, resolved: &ResolvedImage) -> Result<Bytes, BlobError> {
        let descriptor = &resolved.manifest.config;
        let image = resolved.pinned();
        let digest = descriptor.digest.clone();
        if descriptor.size > CONFIG_LIMIT {
            return Err(BlobError::TooLarge {
                image,
                digest,
                limit: CONFIG_LIMIT,
            });
        }
        let fail = |f: Failure| f.for_blob(&image, &digest);
        let repository = image.repository();
        let path = format!("v2/{}/blobs/{digest}", repository.name());
        let url = self
            .transport()
            .api_url(repository.registry(), &path)
            .map_err(fail)?;
        let call = Call {
            registry: repository.registry().clone(),
            method: Method::GET,
            url,
            accept: None,
            scope: format!("repository:{}:pull", repository.name()),
            // The limit is checked above; usize holds it on every target.
            body_limit: usize::try_from(CONFIG_LIMIT).unwrap_or(usize::MAX),
        };
        let body = self.transport().fetch(&call).await.map_err(fail)?.body;
        if !digest.matches(&body) {
            let actual = Digest::compute(digest.algorithm(), &body).to_string();
            return Err(BlobError::DigestMismatch {
                image,
                digest,
                actual,
            });
        }
        Ok(body)
    }

    fn oci_client(&self, registry: &RegistryHost, credentials: &Credentials) -> oci_client::Client {
        let mut clients = self
            .inner
            .oci
            .by_host
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((known, client)) = clients.get(registry)
            && known.same_as(credentials)
        {
            return client.clone();
        }
        let config = self.config();
        let protocol = if config.plain_http(registry) {
            ClientProtocol::HttpsExcept(vec![registry.api_host().to_owned()])
        } else {
            ClientProtocol::Https
        };
        let client = oci_client::Client::new(OciConfig {
            protocol,
            platform_resolver: None,
            connect_timeout: Some(config.connect_timeout),
            read_timeout: Some(config.read_timeout),
            user_agent: concat!("tagwarden/", env!("CARGO_PKG_VERSION")),
            ..OciConfig::default()
        });
        clients.insert(registry.clone(), (credentials.clone(), client.clone()));
        client
    }
}

fn oci_auth(credentials: &Credentials) -> RegistryAuth {
    match credentials {
        Credentials::Anonymous => RegistryAuth::Anonymous,
        Credentials::Basic { username, password } => {
            RegistryAuth::Basic(username.clone(), password.expose_secret().to_owned())
        }
    }
}

/// Sorts oci-client's errors into retry or final failure.
fn classify(e: OciDistributionError) -> Attempt {
    let fail = |f| Attempt::Fail(f);
    let retry = |reason: String| Attempt::Retry {
        reason,
        after: None,
    };
    match e {
        OciDistributionError::ServerError { code, message, .. } => match code {
            404 => fail(Failure::NotFound),
            401 | 403 => fail(Failure::Unauthorized(format!("HTTP {code}"))),
            408 | 429 => retry(format!("HTTP {code}")),
            c if (500..600).contains(&c) && c != 501 => retry(format!("HTTP {code}")),
            _ => fail(Failure::Invalid(format!(
                "unexpected HTTP {code}: {message}"
            ))),
        },
        OciDistributionError::RegistryError { envelope, .. } => {
            let code = envelope.errors.first().map(|e| &e.code);
            match code {
                Some(
                    OciErrorCode::BlobUnknown | OciErrorCode::NameUnknown | OciErrorCode::NotFound,
                ) => fail(Failure::NotFound),
                Some(OciErrorCode::Unauthorized | OciErrorCode::Denied) => {
                    fail(Failure::Unauthorized(envelope.to_string()))
                }
                Some(OciErrorCode::Toomanyrequests) => retry(envelope.to_string()),
                _ => fail(Failure::Invalid(envelope.to_string())),
            }
        }
        OciDistributionError::UnauthorizedError { .. } => {
            fail(Failure::Unauthorized("HTTP 401".to_owned()))
        }
        OciDistributionError::AuthenticationFailure(_) => fail(Failure::Unauthorized(
            "the token endpoint refused the credentials".to_owned(),
        )),
        OciDistributionError::RequestError(e) => retry(describe(&e)),
        other => fail(Failure::Invalid(other.to_string())),
    }
}

/// A blob's bytes as they arrive, verified against its digest.
pub struct BlobStream {
    inner: futures::stream::BoxStream<'static, io::Result<Bytes>>,
    image: ImageReference,
    digest: Digest,
    size: u64,
    received: u64,
    done: bool,
}

impl fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStream")
            .field("image", &self.image)
            .field("digest", &self.digest)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl BlobStream {
    /// The size the descriptor announced.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The blob as an `AsyncBufRead`, for decompressors and tar readers.
    /// Errors are `io::Error`s whose inner error is the [`BlobError`]
    /// (`err.get_ref()` and downcast), so a digest mismatch surfaces from
    /// the last read.
    pub fn into_async_read(self) -> impl AsyncBufRead + Send + Unpin + 'static {
        StreamReader::new(self.map_err(io::Error::other))
    }

    fn error_from(&self, e: io::Error) -> BlobError {
        let (image, digest) = (self.image.clone(), self.digest.clone());
        let mismatch = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<DigestError>());
        match mismatch {
            Some(DigestError::VerificationError { actual, .. }) => BlobError::DigestMismatch {
                image,
                digest,
                actual: actual.clone(),
            },
            _ => BlobError::Interrupted {
                image,
                digest,
                detail: e.to_string(),
            },
        }
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, BlobError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let item = match futures::ready!(self.inner.poll_next_unpin(cx)) {
            Some(Ok(chunk)) => {
                self.received += chunk.len() as u64;
                if self.received > self.size {
                    self.done = true;
                    let (image, digest) = (self.image.clone(), self.digest.clone());
                    Some(Err(BlobError::TooLarge {
                        image,
                        digest,
                        limit: self.size,
                    }))
                } else {
                    Some(Ok(chunk))
                }
            }
            Some(Err(e)) => {
                self.done = true;
                Some(Err(self.error_from(e)))
            }
            None => {
                self.done = true;
                None
            }
        };
        Poll::Ready(item)
    }
}
