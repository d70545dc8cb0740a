//! What can go wrong while reading a registry through a provider.

use crate::error::ListError;

/// What kind of failure a [`ProviderError`] is, so a caller can decide
/// whether to retry and what to tell an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// The account's credentials were refused or could not be obtained.
    Unauthorized,
    /// The repository (or the registry's catalog) does not exist.
    NotFound,
    /// The registry or cloud API kept failing (5xx, 429, connection
    /// errors, timeouts); trying again later may work.
    Unavailable,
    /// The registry answered with something that cannot be read.
    InvalidResponse,
    /// The integration's settings are incomplete or contradictory.
    Config,
}

/// A provider failed; `message` says what was being done and why it
/// failed, in words for an operator. Never contains a secret.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    kind: ProviderErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ProviderError {
    /// An error of `kind` with a message.
    pub fn new(kind: ProviderErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Keeps the underlying error for logs.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ProviderErrorKind {
        self.kind
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        self.kind == ProviderErrorKind::Unavailable
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ProviderErrorKind::Config, message)
    }
}

impl From<ListError> for ProviderError {
    fn from(error: ListError) -> Self {
        let kind = match &error {
            ListError::NotFound { .. } => ProviderErrorKind::NotFound,
            ListError::Unauthorized { .. } | ListError::Credentials { .. } => {
                ProviderErrorKind::Unauthorized
            }
            ListError::Unavailable { .. } => ProviderErrorKind::Unavailable,
            ListError::InvalidResponse { .. } => ProviderErrorKind::InvalidResponse,
        };
        Self::new(kind, error.to_string()).with_source(error)
    }
}
