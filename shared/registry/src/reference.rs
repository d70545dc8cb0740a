//! Image references (`host[:port]/repo[:tag][@digest]`), parsed once at the
//! edge so the rest of the code never handles a reference string.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::digest::Digest;
use crate::host::{DOCKER_HUB, RegistryHost};

/// A repository in a registry: `127.0.0.1:5000/team/app`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository {
    registry: RegistryHost,
    name: String,
}

/// A reference to one image: a repository plus a tag, a digest, or both.
///
/// Written `host[:port]/repo[:tag]` or `host[:port]/repo@sha256:…`. As with
/// Docker, a reference without a registry means Docker Hub (`alpine` is
/// `docker.io/library/alpine`) and one without tag or digest means `latest`.
/// When both are given the digest decides what is pulled.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ImageReference(Arc<Parts>);

/// Shared so that errors, which all carry the image, stay small and cheap
/// to build.
#[derive(PartialEq, Eq, Hash)]
struct Parts {
    repository: Repository,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not an [`ImageReference`] or [`Repository`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference {input:?}: {reason}")]
pub struct ReferenceParseError {
    input: String,
    reason: String,
}

static COMPONENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$").expect("a valid pattern")
});
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$").expect("a valid pattern"));

impl Repository {
    /// Builds a repository from an already validated host and a path such
    /// as `team/app`.
    pub fn new(registry: RegistryHost, name: &str) -> Result<Self, ReferenceParseError> {
        let fail = |reason: &str| ReferenceParseError {
            input: format!("{registry}/{name}"),
            reason: reason.to_owned(),
        };
        if name.len() > 255 {
            return Err(fail("repository name is longer than 255 characters"));
        }
        if !name.split('/').all(|c| COMPONENT.is_match(c)) {
            return Err(fail(
                "repository path components must be lower-case letters and digits \
                 separated by '.', '_', '__' or '-'",
            ));
        }
        Ok(Self {
            registry,
            name: name.to_owned(),
        })
    }

    /// The registry host.
    pub fn registry(&self) -> &RegistryHost {
        &self.registry
    }

    /// The repository path inside the registry, e.g. `library/alpine`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl FromStr for Repository {
    type Err = ReferenceParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (host, path) = split_domain(input);
        let registry = host
            .parse()
            .map_err(|e: crate::HostParseError| ReferenceParseError {
                input: input.to_owned(),
                reason: e.to_string(),
            })?;
        Repository::new(registry, &path)
    }
}

/// Splits off the registry host the way Docker does: the first component
/// is a host when it has a `.` or `:`, or is `localhost`, or is bracketed.
fn split_domain(input: &str) -> (&str, String) {
    match input.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':']) || first == "localhost" || first.starts_with('[') =>
        {
            (first, rest.to_owned())
        }
        _ if input.contains('/') => (DOCKER_HUB, input.to_owned()),
        _ => (DOCKER_HUB, format!("library/{input}")),
    }
}

impl ImageReference {
    /// The repository this image lives in.
    pub fn repository(&self) -> &Repository {
        &self.0.repository
    }

    /// The registry host.
    pub fn registry(&self) -> &RegistryHost {
        &self.0.repository.registry
    }

    /// The tag, if the reference names one (`latest` when it named neither
    /// tag nor digest).
    pub fn tag(&self) -> Option<&str> {
        self.0.tag.as_deref()
    }

    /// The digest, if the reference pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.0.digest.as_ref()
    }

    /// The same image pinned to `digest`, keeping the tag for messages.
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self(Arc::new(Parts {
            repository: self.0.repository.clone(),
            tag: self.0.tag.clone(),
            digest: Some(digest),
        }))
    }

    /// What goes after `/manifests/` in the API: the digest, else the tag.
    pub(crate) fn api_reference(&self) -> String {
        match (&self.0.digest, &self.0.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "latest".to_owned(),
        }
    }
}

impl FromStr for ImageReference {
    type Err = ReferenceParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| ReferenceParseError {
            input: input.to_owned(),
            reason,
        };
        if input.is_empty() || input.chars().any(char::is_whitespace) {
            return Err(fail("empty or contains whitespace".to_owned()));
        }
        let (name, digest) = match input.split_once('@') {
            Some((name, digest)) => {
                let digest = digest.parse::<Digest>().map_err(|e| fail(e.to_string()))?;
                (name, Some(digest))
            }
            None => (input, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
            None => (name, None),
        };
        if let Some(tag) = tag
            && !TAG.is_match(tag)
        {
            return Err(fail(format!(
                "tag {tag:?} must be 1 to 128 letters, digits, '_', '.' or '-', \
                 not starting with '.' or '-'"
            )));
        }
        let repository = name.parse::<Repository>().map_err(|e| fail(e.reason))?;
        let tag = match (tag, &digest) {
            (None, None) => Some("latest".to_owned()),
            (tag, _) => tag.map(str::to_owned),
        };
        Ok(Self(Arc::new(Parts {
            repository,
            tag,
            digest,
        })))
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.name)
    }
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Repository({self})")
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.repository)?;
        if let Some(tag) = &self.0.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.0.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageReference({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn parse(s: &str) -> ImageReference {
        s.parse().unwrap()
    }

    #[test]
    fn parses_host_port_repo_and_tag() {
        let r = parse("127.0.0.1:5000/team/app:v1.2");
        assert_eq!(r.registry().as_str(), "127.0.0.1:5000");
        assert_eq!(r.repository().name(), "team/app");
        assert_eq!(r.tag(), Some("v1.2"));
        assert_eq!(r.digest(), None);
        assert_eq!(r.api_reference(), "v1.2");
        assert_eq!(r.to_string(), "127.0.0.1:5000/team/app:v1.2");
    }

    #[test]
    fn a_digest_decides_what_is_pulled() {
        let r = parse(&format!("localhost:5000/app:v1@{D}"));
        assert_eq!(r.tag(), Some("v1"));
        assert_eq!(r.api_reference(), D);
        let r = parse(&format!("[::1]:5000/app@{D}"));
        assert_eq!(r.tag(), None);
        assert_eq!(r.registry().as_str(), "[::1]:5000");
    }

    #[test]
    fn defaults_follow_docker() {
        let r = parse("alpine");
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        let r = parse("bitnami/redis:7");
        assert_eq!(r.to_string(), "docker.io/bitnami/redis:7");
        assert_eq!(parse("localhost/app").registry().as_str(), "localhost");
    }

    #[test]
    fn rejects_bad_references_with_the_input_in_the_message() {
        for bad in [
            "",
            "Upper/case",
            "ghcr.io/app:",
            "ghcr.io/app:-tag",
            "ghcr.io/app@sha256:123",
            "ghcr.io//app",
            "ghcr.io/app name",
            "a:b:c/app",
        ] {
            let err = bad.parse::<ImageReference>().unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn repositories_parse_without_tags() {
        let r: Repository = "127.0.0.1:5000/team/app".parse().unwrap();
        assert_eq!(r.to_string(), "127.0.0.1:5000/team/app");
        assert!("127.0.0.1:5000/team/app:v1".parse::<Repository>().is_err());
    }
}
