//! Azure Container Registry webhooks: one event per request, in the same
//! shape as a distribution event (`action`, `target`, `request.host`).
//! ACR also sends `ping` when a webhook is tested, and `chart_push`,
//! `quarantine` and other actions that move no image tag.

use super::distribution::Event;
use super::{FormatError, NotificationFormat, Pushed};

/// Reads ACR webhook payloads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Acr;

impl NotificationFormat for Acr {
    fn name(&self) -> &'static str {
        "acr"
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<Pushed>, FormatError> {
        let event: Event = serde_json::from_slice(body)?;
        Ok(event.pushed().into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The push sample from Azure's webhook reference.
    const PUSH: &str = r#"{
      "id": "cb8c3971-9adc-488b-xxxx-43cbb4974ff5",
      "timestamp": "2017-11-17T16:52:01.343145347Z",
      "action": "push",
      "target": {
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "size": 524,
        "digest": "sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx",
        "length": 524,
        "repository": "hello-world",
        "tag": "v1"
      },
      "request": {
        "id": "3cbb6949-7549-4fa1-xxxx-a6d5451dffc7",
        "host": "myregistry.azurecr.io",
        "method": "PUT",
        "useragent": "docker/17.09.0-ce go/go1.8.3 git-commit/afdb6d4 kernel/4.10.0-27-generic"
      }
    }"#;

    #[test]
    fn a_push_names_registry_repository_and_tag() {
        let pushed = Acr.parse(PUSH.as_bytes()).unwrap();
        assert_eq!(
            pushed,
            [Pushed {
                registry: Some("myregistry.azurecr.io".into()),
                repository: "hello-world".into(),
                tag: Some("v1".into()),
                digest: Some(
                    "sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx"
                        .into()
                ),
            }]
        );
    }

    #[test]
    fn a_ping_moves_nothing() {
        let ping = r#"{"id":"x","timestamp":"2017-11-17T16:52:01Z","action":"ping"}"#;
        assert!(Acr.parse(ping.as_bytes()).unwrap().is_empty());
    }
}
