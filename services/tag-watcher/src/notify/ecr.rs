//! Amazon ECR pushes through EventBridge: an "ECR Image Action" event,
//! delivered to the endpoint by an EventBridge API destination (which can
//! add the shared-secret header). The registry host is built from the
//! event's account and region, as ECR names it.

use serde::Deserialize;

use super::{FormatError, NotificationFormat, Pushed};

/// Reads EventBridge "ECR Image Action" events.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ecr;

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "detail-type", default)]
    detail_type: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    region: String,
    detail: Option<Detail>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    result: String,
    #[serde(rename = "action-type", default)]
    action_type: String,
    #[serde(rename = "repository-name", default)]
    repository_name: String,
    #[serde(rename = "image-tag", default)]
    image_tag: Option<String>,
    #[serde(rename = "image-digest", default)]
    image_digest: Option<String>,
}

impl NotificationFormat for Ecr {
    fn name(&self) -> &'static str {
        "ecr"
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<Pushed>, FormatError> {
        let event: Event = serde_json::from_slice(body)?;
        let Some(detail) = event.detail else {
            return Ok(Vec::new());
        };
        let moves_tags = event.detail_type == "ECR Image Action"
            && detail.result == "SUCCESS"
            && matches!(detail.action_type.as_str(), "PUSH" | "DELETE");
        if !moves_tags || detail.repository_name.is_empty() {
            return Ok(Vec::new());
        }
        let registry = (!event.account.is_empty() && !event.region.is_empty())
            .then(|| format!("{}.dkr.ecr.{}.amazonaws.com", event.account, event.region));
        let pushed = detail.action_type == "PUSH";
        Ok(vec![Pushed {
            registry,
            repository: detail.repository_name,
            tag: detail.image_tag.filter(|t| !t.is_empty()),
            digest: detail.image_digest.filter(|d| pushed && !d.is_empty()),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The push sample from the ECR user guide ("Amazon ECR events and
    /// EventBridge").
    const PUSH: &str = r#"{
      "version": "0",
      "id": "13cde686-328b-6117-af20-0e5566167482",
      "detail-type": "ECR Image Action",
      "source": "aws.ecr",
      "account": "123456789012",
      "time": "2019-11-16T01:54:34Z",
      "region": "us-west-2",
      "resources": [],
      "detail": {
        "result": "SUCCESS",
        "repository-name": "my-repository-name",
        "image-digest": "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
        "action-type": "PUSH",
        "image-tag": "latest"
      }
    }"#;

    #[test]
    fn a_push_names_the_ecr_registry() {
        let pushed = Ecr.parse(PUSH.as_bytes()).unwrap();
        assert_eq!(
            pushed,
            [Pushed {
                registry: Some("123456789012.dkr.ecr.us-west-2.amazonaws.com".into()),
                repository: "my-repository-name".into(),
                tag: Some("latest".into()),
                digest: Some(
                    "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234".into()
                ),
            }]
        );
    }

    #[test]
    fn a_failed_push_moves_nothing() {
        let failed = PUSH.replace("\"SUCCESS\"", "\"FAILURE\"");
        assert!(Ecr.parse(failed.as_bytes()).unwrap().is_empty());
        let scan = PUSH.replace("ECR Image Action", "ECR Image Scan");
        assert!(Ecr.parse(scan.as_bytes()).unwrap().is_empty());
    }
}
