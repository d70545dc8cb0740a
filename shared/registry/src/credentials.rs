//! Registry credentials and the seam cloud providers plug into.
//!
//! The client asks a [`CredentialProvider`] for credentials on each request
//! instead of holding one password, because cloud registries (ECR, ACR, GAR)
//! hand out short-lived passwords that a provider refreshes on its own
//! schedule. Secrets stay in [`SecretString`] so they never print.

use std::collections::HashMap;
use std::fmt;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::host::RegistryHost;

/// What to present to a registry. There is no variant for a ready-made
/// registry bearer token: every registry Tagwarden targets (ECR, ACR, GAR,
/// Docker Hub, GHCR, Harbor) takes a user name and password or access
/// token at its token endpoint.
#[derive(Clone)]
pub enum Credentials {
    /// No credentials: public images, or registries without auth. Bearer
    /// registries still hand out anonymous tokens for these.
    Anonymous,
    /// A user name and password (or access token used as a password, as
    /// ECR, ACR and GAR do). Sent as HTTP basic auth to a registry that asks
    /// for it, or to the token endpoint of a registry that uses bearer
    /// tokens.
    Basic {
        /// The user name; not secret.
        username: String,
        /// The password or access token.
        password: SecretString,
    },
}

impl Credentials {
    /// Basic credentials from a user name and a password.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Basic {
            username: username.into(),
            password: SecretString::from(password.into()),
        }
    }

    /// Whether two credentials are the same, comparing passwords in
    /// constant time.
    pub(crate) fn same_as(&self, other: &Credentials) -> bool {
        match (self, other) {
            (Self::Anonymous, Self::Anonymous) => true,
            (
                Self::Basic {
                    username: u1,
                    password: p1,
                },
                Self::Basic {
                    username: u2,
                    password: p2,
                },
            ) => {
                let (p1, p2) = (p1.expose_secret().as_bytes(), p2.expose_secret().as_bytes());
                u1 == u2 && bool::from(p1.ct_eq(p2))
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .finish_non_exhaustive(),
        }
    }
}

/// Why a provider could not produce credentials.
#[derive(Debug, thiserror::Error)]
#[error("could not get credentials for registry {registry}: {message}")]
pub struct CredentialError {
    /// The registry the credentials were for.
    pub registry: RegistryHost,
    /// What went wrong, for a person.
    pub message: String,
    /// The underlying error, if any.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Supplies credentials for a registry, called before requests to it.
///
/// Implementations cache what they fetch (an ECR token lasts 12 hours); the
/// client calls this often. The future is boxed so the client can hold any
/// provider behind `Arc<dyn CredentialProvider>`, chosen from config at run
/// time.
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// Credentials for `registry`; [`Credentials::Anonymous`] when the
    /// provider has none for it.
    fn credentials<'a>(
        &'a self,
        registry: &'a RegistryHost,
    ) -> BoxFuture<'a, Result<Credentials, CredentialError>>;
}

/// Fixed credentials per registry host, anonymous for every other host.
/// Used for self-hosted registries and tests; cloud providers implement
/// [`CredentialProvider`] themselves.
#[derive(Debug, Clone, Default)]
pub struct StaticCredentials {
    by_host: HashMap<RegistryHost, Credentials>,
}

impl StaticCredentials {
    /// A provider that is anonymous everywhere.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Adds credentials for one registry host.
    pub fn with(mut self, registry: RegistryHost, credentials: Credentials) -> Self {
        self.by_host.insert(registry, credentials);
        self
    }
}

impl CredentialProvider for StaticCredentials {
    fn credentials<'a>(
        &'a self,
        registry: &'a RegistryHost,
    ) -> BoxFuture<'a, Result<Credentials, CredentialError>> {
        let found = self
            .by_host
            .get(registry)
            .cloned()
            .unwrap_or(Credentials::Anonymous);
        Box::pin(async move { Ok(found) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        let creds = Credentials::basic("ci", "hunter2");
        assert_eq!(format!("{creds:?}"), r#"Basic { username: "ci", .. }"#);
    }

    #[test]
    fn compares_credentials() {
        let a = Credentials::basic("ci", "one");
        assert!(a.same_as(&Credentials::basic("ci", "one")));
        assert!(!a.same_as(&Credentials::basic("ci", "two")));
        assert!(!a.same_as(&Credentials::Anonymous));
        assert!(Credentials::Anonymous.same_as(&Credentials::Anonymous));
    }

    #[tokio::test]
    async fn static_provider_is_anonymous_for_unknown_hosts() {
        let host: RegistryHost = "127.0.0.1:5000".parse().unwrap();
        let other: RegistryHost = "ghcr.io".parse().unwrap();
        let p = StaticCredentials::anonymous().with(host.clone(), Credentials::basic("u", "p"));
        assert!(matches!(
            p.credentials(&host).await,
            Ok(Credentials::Basic { .. })
        ));
        assert!(matches!(
            p.credentials(&other).await,
            Ok(Credentials::Anonymous)
        ));
    }
}
