//! The CNCF distribution registry's notifications (`notifications.endpoints`
//! in its config): an envelope `{"events": [...]}` of pushes, pulls and
//! deletes of manifests and blobs. Harbor, GitLab and Docker's own registry
//! send the same envelope.

use serde::Deserialize;

use super::{FormatError, NotificationFormat, Pushed};

/// Reads the distribution envelope.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Distribution;

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    events: Vec<Event>,
}

/// One event. Also the whole body of an ACR webhook, which copies it.
#[derive(Deserialize)]
pub(super) struct Event {
    #[serde(default)]
    pub(super) action: String,
    #[serde(default)]
    pub(super) target: Target,
    #[serde(default)]
    pub(super) request: Request,
}

#[derive(Deserialize, Default)]
pub(super) struct Target {
    #[serde(default)]
    pub(super) repository: String,
    #[serde(default)]
    pub(super) tag: Option<String>,
    #[serde(default)]
    pub(super) digest: String,
}

#[derive(Deserialize, Default)]
pub(super) struct Request {
    /// The `Host` the pushing client used: the registry's name to it.
    #[serde(default)]
    pub(super) host: String,
}

impl Event {
    /// What the event means to the watcher: a tag pushed, or something
    /// deleted (a tag or a manifest some tags may have pointed at). Pulls,
    /// blob uploads and pushes by digest alone move no tag.
    pub(super) fn pushed(self) -> Option<Pushed> {
        let tag = self.target.tag.filter(|t| !t.is_empty());
        let moves_tags = match self.action.as_str() {
            "push" => tag.is_some(),
            "delete" => true,
            _ => false,
        };
        let pushed = self.action == "push" && !self.target.digest.is_empty();
        if !moves_tags || self.target.repository.is_empty() {
            return None;
        }
        Some(Pushed {
            registry: Some(self.request.host).filter(|h| !h.is_empty()),
            repository: self.target.repository,
            tag,
            digest: pushed.then_some(self.target.digest),
        })
    }
}

impl NotificationFormat for Distribution {
    fn name(&self) -> &'static str {
        "distribution"
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<Pushed>, FormatError> {
        let envelope: Envelope = serde_json::from_slice(body)?;
        Ok(envelope
            .events
            .into_iter()
            .filter_map(Event::pushed)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest push, a layer push and a pull, as distribution 2.8 sends
    /// them (abridged: actor, source and ids left out).
    const SAMPLE: &str = r#"{"events":[
      {"id":"1","timestamp":"2026-12-03T10:00:00Z","action":"push",
       "target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,
         "digest":"sha256:aaaa","length":500,"repository":"team/app",
         "url":"http://127.0.0.1:5000/v2/team/app/manifests/sha256:aaaa","tag":"production"},
       "request":{"id":"r1","addr":"127.0.0.1:40000","host":"127.0.0.1:5000","method":"PUT",
         "useragent":"skopeo"}},
      {"id":"2","timestamp":"2026-12-03T10:00:00Z","action":"push",
       "target":{"mediaType":"application/octet-stream","size":10,"digest":"sha256:bbbb",
         "length":10,"repository":"team/app",
         "url":"http://127.0.0.1:5000/v2/team/app/blobs/sha256:bbbb"},
       "request":{"host":"127.0.0.1:5000","method":"PUT"}},
      {"id":"3","action":"pull","target":{"repository":"team/app","tag":"production"},
       "request":{"host":"127.0.0.1:5000","method":"GET"}}
    ]}"#;

    #[test]
    fn a_tag_push_names_its_repository() {
        let pushed = Distribution.parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(
            pushed,
            [Pushed {
                registry: Some("127.0.0.1:5000".into()),
                repository: "team/app".into(),
                tag: Some("production".into()),
                digest: Some("sha256:aaaa".into()),
            }]
        );
    }

    #[test]
    fn deletes_count_and_garbage_is_an_error() {
        let delete = r#"{"events":[{"action":"delete","target":{"repository":"a/b",
            "digest":"sha256:cc"},"request":{"host":"reg.example"}}]}"#;
        assert_eq!(
            Distribution.parse(delete.as_bytes()).unwrap()[0].repository,
            "a/b"
        );
        assert!(Distribution.parse(b"not json").is_err());
        assert!(Distribution.parse(b"{}").unwrap().is_empty());
    }
}
