//! AWS Elastic Container Registry through `aws-sdk-ecr`:
//! `DescribeRepositories` and `DescribeImages`, every page followed by its
//! `nextToken`, with `imagePushedAt` as the push time. Pulls use the
//! password from `GetAuthorizationToken` (see [`EcrCredentials`]).
//!
//! Credentials come from `aws-config`'s standard chain (environment,
//! profile files, web identity, ECS and EC2 instance roles), optionally
//! assuming a role named in the integration's settings. Profiles that sign
//! in through AWS IAM Identity Center (SSO) are not read: `aws-config`'s
//! `sso` feature would compile two more SDK crates; such deployments give
//! environment credentials, web identity or an instance role instead.

mod auth;

use std::collections::HashSet;
use std::sync::Arc;

use aws_sdk_ecr::Client;
use aws_sdk_ecr::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use self::auth::{EcrCredentials, RENEW_BEFORE};
use super::clock::SharedClock;
use super::{ImageTag, ProviderError, ProviderErrorKind, ProviderKind, PushedAtSource};
use crate::credentials::CredentialProvider;
use crate::digest::Digest;
use crate::host::RegistryHost;

/// A service that keeps sending `nextToken` beyond this many pages loops.
const MAX_PAGES: usize = 100_000;

/// How an [`EcrProvider`] reaches its registry.
#[derive(Debug, Clone, Default)]
pub struct EcrSettings {
    /// The AWS region, e.g. `eu-west-1`.
    pub region: String,
    /// The registry (account) id; `None` means the caller's own registry,
    /// learned from `GetAuthorizationToken`.
    pub registry_id: Option<String>,
    /// A role to assume (`arn:aws:iam::…:role/…`) with the standard chain's
    /// credentials, for registries in other accounts.
    pub role_arn: Option<String>,
    /// The ECR API endpoint instead of AWS's (tests, VPC endpoints).
    pub endpoint: Option<String>,
    /// The host images are pulled from instead of
    /// `{registry_id}.dkr.ecr.{region}.amazonaws.com`.
    pub registry_host: Option<RegistryHost>,
    /// Results asked for per page; `None` leaves it to ECR.
    pub page_size: Option<i32>,
}

/// A provider for one ECR registry in one region.
#[derive(Debug)]
pub struct EcrProvider {
    client: Client,
    settings: EcrSettings,
    registry_id: String,
    registry: RegistryHost,
    credentials: Arc<EcrCredentials>,
}

impl EcrProvider {
    /// A provider using `aws-config`'s standard credential chain (and the
    /// role in `settings`, if any).
    pub async fn from_standard_chain(
        settings: EcrSettings,
        clock: SharedClock,
    ) -> Result<Self, ProviderError> {
        let region = aws_config::Region::new(settings.region.clone());
        let mut loader = aws_config::from_env().region(region.clone());
        if let Some(role) = &settings.role_arn {
            let assumed = aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name("tagwarden-discovery")
                .region(region)
                .build()
                .await;
            loader = loader.credentials_provider(assumed);
        }
        let shared = loader.load().await;
        let mut config = aws_sdk_ecr::config::Builder::from(&shared);
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint);
        }
        Self::with_client(Client::from_conf(config.build()), settings, clock).await
    }

    /// A provider over a client built by the caller (tests give one with
    /// static credentials and an endpoint override).
    pub async fn with_client(
        client: Client,
        settings: EcrSettings,
        clock: SharedClock,
    ) -> Result<Self, ProviderError> {
        if settings.region.is_empty() {
            return Err(ProviderError::config("an ECR integration needs a region"));
        }
        let credentials = Arc::new(EcrCredentials::new(client.clone(), clock));
        let registry_id = match &settings.registry_id {
            Some(id) => id.clone(),
            None => credentials.registry_id().await?,
        };
        let registry = match &settings.registry_host {
            Some(host) => host.clone(),
            None => default_host(&registry_id, &settings.region)?,
        };
        credentials.serve(registry.clone());
        Ok(Self {
            client,
            settings,
            registry_id,
            registry,
            credentials,
        })
    }

    async fn repositories(&self) -> Result<Vec<String>, ProviderError> {
        let (mut names, mut tokens) = (Vec::new(), HashSet::new());
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .describe_repositories()
                .registry_id(&self.registry_id)
                .set_next_token(next.clone())
                .set_max_results(self.settings.page_size)
                .send()
                .await
                .map_err(|e| sdk_error("list ECR repositories", e))?;
            names.extend(
                page.repositories()
                    .iter()
                    .filter_map(|r| r.repository_name().map(str::to_owned)),
            );
            next = following(page.next_token(), &mut tokens, "DescribeRepositories")?;
            if next.is_none() {
                return Ok(names);
            }
        }
    }

    async fn images(&self, repository: &str) -> Result<Vec<ImageTag>, ProviderError> {
        let (mut images, mut tokens) = (Vec::new(), HashSet::new());
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .describe_images()
                .registry_id(&self.registry_id)
                .repository_name(repository)
                .set_next_token(next.clone())
                .set_max_results(self.settings.page_size)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("list images of {repository}"), e))?;
            for detail in page.image_details() {
                images.extend(image_tags(detail)?);
            }
            next = following(page.next_token(), &mut tokens, "DescribeImages")?;
            if next.is_none() {
                return Ok(images);
            }
        }
    }
}

impl super::RegistryProvider for EcrProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Ecr
    }

    fn registry(&self) -> &RegistryHost {
        &self.registry
    }

    fn account(&self) -> &str {
        &self.registry_id
    }

    fn list_repositories(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        Box::pin(self.repositories())
    }

    fn list_tags<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ImageTag>, ProviderError>> {
        Box::pin(self.images(repository))
    }

    fn pull_credentials(&self) -> Arc<dyn CredentialProvider> {
        self.credentials.clone()
    }
}

/// `{id}.dkr.ecr.{region}.amazonaws.com`.
fn default_host(registry_id: &str, region: &str) -> Result<RegistryHost, ProviderError> {
    format!("{registry_id}.dkr.ecr.{region}.amazonaws.com")
        .parse()
        .map_err(|e: crate::host::HostParseError| ProviderError::config(e.to_string()))
}

/// The token of the next page, refusing one seen before.
fn following(
    token: Option<&str>,
    seen: &mut HashSet<String>,
    operation: &str,
) -> Result<Option<String>, ProviderError> {
    match token.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) if !seen.insert(t.to_owned()) || seen.len() > MAX_PAGES => Err(ProviderError::new(
            ProviderErrorKind::InvalidResponse,
            format!("ECR {operation} pagination loops (nextToken repeated)"),
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// One entry per tag of an image, or one untagged entry.
fn image_tags(detail: &aws_sdk_ecr::types::ImageDetail) -> Result<Vec<ImageTag>, ProviderError> {
    let invalid = |what: String| ProviderError::new(ProviderErrorKind::InvalidResponse, what);
    let digest: Digest = detail
        .image_digest()
        .ok_or_else(|| invalid("ECR listed an image without a digest".to_owned()))?
        .parse()
        .map_err(|e| invalid(format!("ECR listed an invalid digest: {e}")))?;
    let pushed_at = detail.image_pushed_at().and_then(to_chrono);
    let source = match pushed_at {
        Some(_) => PushedAtSource::Registry,
        None => PushedAtSource::Unknown,
    };
    let entry = |tag: Option<String>| ImageTag {
        tag,
        digest: digest.clone(),
        media_type: detail
            .image_manifest_media_type()
            .unwrap_or_default()
            .to_owned(),
        pushed_at,
        pushed_at_source: source,
    };
    if detail.image_tags().is_empty() {
        return Ok(vec![entry(None)]);
    }
    Ok(detail
        .image_tags()
        .iter()
        .map(|t| entry(Some(t.clone())))
        .collect())
}

pub(crate) fn to_chrono(time: &aws_sdk_ecr::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

/// An SDK failure as a provider error of the right kind.
pub(crate) fn sdk_error<E, R>(doing: &str, error: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let kind = match &error {
        SdkError::ServiceError(service) => match service.err().code() {
            Some("RepositoryNotFoundException") => ProviderErrorKind::NotFound,
            Some(
                "AccessDeniedException"
                | "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException",
            ) => ProviderErrorKind::Unauthorized,
            Some("InvalidParameterException") => ProviderErrorKind::InvalidResponse,
            _ => ProviderErrorKind::Unavailable,
        },
        SdkError::ConstructionFailure(_) => ProviderErrorKind::Config,
        _ => ProviderErrorKind::Unavailable,
    };
    let message = format!("could not {doing}: {}", DisplayErrorContext(&error));
    ProviderError::new(kind, message).with_source(error)
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecr::types::ImageDetail;

    use super::*;

    const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn an_image_becomes_one_entry_per_tag_or_one_untagged() {
        let pushed = aws_sdk_ecr::primitives::DateTime::from_secs(1_800_000_000);
        let tagged = ImageDetail::builder()
            .image_digest(DIGEST)
            .image_tags("v1")
            .image_tags("latest")
            .image_pushed_at(pushed)
            .image_manifest_media_type("application/vnd.oci.image.manifest.v1+json")
            .build();
        let entries = image_tags(&tagged).unwrap();
        let tags: Vec<_> = entries.iter().map(|e| e.tag.as_deref()).collect();
        assert_eq!(tags, [Some("v1"), Some("latest")]);
        assert_eq!(entries[0].pushed_at_source, PushedAtSource::Registry);
        assert_eq!(entries[0].pushed_at.unwrap().timestamp(), 1_800_000_000);

        let untagged = ImageDetail::builder().image_digest(DIGEST).build();
        let entries = image_tags(&untagged).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].tag, None);
        assert_eq!(entries[0].pushed_at_source, PushedAtSource::Unknown);
    }

    #[test]
    fn a_repeated_next_token_is_a_loop() {
        let mut seen = HashSet::new();
        assert_eq!(
            following(Some("a"), &mut seen, "X").unwrap().as_deref(),
            Some("a")
        );
        assert!(following(Some("a"), &mut seen, "X").is_err());
        assert_eq!(following(Some(""), &mut seen, "X").unwrap(), None);
    }
}
