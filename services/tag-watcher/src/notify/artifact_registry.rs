//! Google Artifact Registry publishes to the Pub/Sub topic `gcr`; a push
//! subscription delivers `{"message": {"data": base64(...)}}` whose data is
//! `{"action": "INSERT", "digest": "HOST/PROJECT/REPO/IMAGE@sha256:…",
//! "tag": "HOST/PROJECT/REPO/IMAGE:TAG"}`. Pub/Sub push cannot add headers,
//! so such a source passes its secret as the `token` query parameter of the
//! push endpoint's URL. Pub/Sub's own OIDC token is not verified here.

use base64::Engine as _;
use serde::Deserialize;

use super::{FormatError, NotificationFormat, Pushed};

/// Reads Pub/Sub push deliveries of Artifact Registry notifications.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ArtifactRegistry;

#[derive(Deserialize)]
struct Push {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    data: String,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    action: String,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    tag: Option<String>,
}

impl NotificationFormat for ArtifactRegistry {
    fn name(&self) -> &'static str {
        "artifact-registry"
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<Pushed>, FormatError> {
        let push: Push = serde_json::from_slice(body)?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(push.message.data.trim())
            .map_err(|e| FormatError::Invalid(format!("message data is not base64: {e}")))?;
        let data: Data = serde_json::from_slice(&data)?;
        if !matches!(data.action.as_str(), "INSERT" | "DELETE") {
            return Ok(Vec::new());
        }
        let pinned = data.digest.as_deref().and_then(|d| split(d, '@'));
        let pushed = match data.tag.as_deref() {
            Some(tagged) if !tagged.is_empty() => split(tagged, ':').map(|tagged| Pushed {
                digest: pinned
                    .and_then(|p| p.digest)
                    .filter(|_| data.action == "INSERT"),
                ..tagged
            }),
            _ => pinned.map(|p| Pushed { digest: None, ..p }),
        };
        Ok(pushed.into_iter().collect())
    }
}

/// `HOST/PATH<sep>REF` into the registry, the repository and the tag
/// (`:`) or digest (`@`). The separator is searched after the last `/`,
/// since a host may carry a port.
fn split(reference: &str, separator: char) -> Option<Pushed> {
    let (host, path) = reference.split_once('/')?;
    let last_slash = path.rfind('/').map_or(0, |i| i + 1);
    let at = last_slash + path[last_slash..].find(separator)?;
    let (repository, reference) = (&path[..at], &path[at + 1..]);
    Some(Pushed {
        registry: Some(host.to_owned()),
        repository: repository.to_owned(),
        tag: (separator == ':').then(|| reference.to_owned()),
        digest: (separator == '@').then(|| reference.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(data: &str) -> Vec<u8> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(data);
        format!(
            r#"{{"message":{{"data":"{encoded}","messageId":"2070443601311540",
            "publishTime":"2021-02-26T19:13:55.749Z"}},
            "subscription":"projects/my-project/subscriptions/tagwarden"}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_tagged_insert_names_registry_repository_and_tag() {
        // The INSERT sample from the Artifact Registry notification docs.
        let data = r#"{"action":"INSERT",
          "digest":"us-east1-docker.pkg.dev/my-project/my-repo/hello-world@sha256:6ec128e26cd5",
          "tag":"us-east1-docker.pkg.dev/my-project/my-repo/hello-world:1.1"}"#;
        let pushed = ArtifactRegistry.parse(&delivery(data)).unwrap();
        assert_eq!(
            pushed,
            [Pushed {
                registry: Some("us-east1-docker.pkg.dev".into()),
                repository: "my-project/my-repo/hello-world".into(),
                tag: Some("1.1".into()),
                digest: Some("sha256:6ec128e26cd5".into()),
            }]
        );
    }

    #[test]
    fn a_delete_by_digest_names_the_repository() {
        let data = r#"{"action":"DELETE",
          "digest":"localhost:5000/p/r/img@sha256:6ec128e26cd5"}"#;
        let pushed = ArtifactRegistry.parse(&delivery(data)).unwrap();
        assert_eq!(pushed[0].registry.as_deref(), Some("localhost:5000"));
        assert_eq!(
            (pushed[0].repository.as_str(), pushed[0].tag.as_deref()),
            ("p/r/img", None)
        );
    }

    #[test]
    fn bad_data_is_an_error() {
        let bad = br#"{"message":{"data":"%%%"}}"#;
        assert!(ArtifactRegistry.parse(bad).is_err());
    }
}
