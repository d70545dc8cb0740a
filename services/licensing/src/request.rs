//! What callers send, checked before anything touches the store: the image
//! name and the tag rules of an `AddTargets` call.

use std::collections::HashSet;
use std::fmt;

use tagwarden_tagrule::{TagRule, TagRuleError};

/// An image as a caller names it: `registry/repository`, or `repository`
/// alone when only one registry has a repository of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageName(String);

impl ImageName {
    /// Checks the shape of the name; whether such an image exists is the
    /// store's question.
    pub(crate) fn parse(text: &str) -> Result<Self, InvalidRequest> {
        let problem = if text.is_empty() {
            Some(
                "no image given: name it as `registry/repository`, or `repository` when \
                 only one registry has it"
                    .to_owned(),
            )
        } else if text.chars().any(char::is_whitespace) {
            Some(format!(
                "image {text:?} contains whitespace; image names never do"
            ))
        } else if text.contains('@') {
            Some(format!(
                "image {text:?} names a digest; give the image alone, tag rules choose \
                 what is scanned"
            ))
        } else if let Some((repository, tag)) = tagged(text) {
            Some(format!(
                "image {text:?} names a tag; give the image {repository:?} and the tag \
                 rule {tag:?}"
            ))
        } else if text.starts_with('/') || text.ends_with('/') || text.contains("//") {
            Some(format!("image {text:?} has an empty path segment"))
        } else {
            None
        };
        match problem {
            Some(message) => Err(InvalidRequest::Image(message)),
            None => Ok(Self(text.to_owned())),
        }
    }

    /// The name as given.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Every `(registry, repository)` the name could mean, splitting at each
    /// `/`: `ghcr.io/acme/app` may be registry `ghcr.io` with repository
    /// `acme/app`, or registry `ghcr.io/acme` (never true, but harmless to
    /// look up) with `app`. The whole name as a repository is matched
    /// separately.
    pub(crate) fn splits(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .match_indices('/')
            .map(|(at, _)| (&self.0[..at], &self.0[at + 1..]))
    }
}

/// A `:` in the last path segment is a tag (a `:` before the first `/` is a
/// registry port).
fn tagged(text: &str) -> Option<(&str, &str)> {
    let last = text.rfind('/').map_or(0, |at| at + 1);
    let colon = text[last..].rfind(':')? + last;
    Some((&text[..colon], &text[colon + 1..]))
}

/// The tag rules of an `AddTargets` call, parsed: all of them are well
/// formed and none is given twice.
pub(crate) fn parse_rules(rules: &[String]) -> Result<Vec<TagRule>, InvalidRequest> {
    if rules.is_empty() {
        return Err(InvalidRequest::NoRules);
    }
    let (parsed, errors): (Vec<_>, Vec<_>) = rules
        .iter()
        .map(|rule| TagRule::parse(rule))
        .partition(Result::is_ok);
    if !errors.is_empty() {
        return Err(InvalidRequest::Rules(
            errors.into_iter().filter_map(Result::err).collect(),
        ));
    }
    let parsed: Vec<TagRule> = parsed.into_iter().filter_map(Result::ok).collect();
    let mut seen = HashSet::new();
    if let Some(twice) = parsed.iter().find(|rule| !seen.insert(rule.as_str())) {
        return Err(InvalidRequest::DuplicateRule(twice.to_string()));
    }
    Ok(parsed)
}

/// A target's name, `repository:rule`, as the design fixes it. Locked
/// seats are found again by this name.
pub(crate) fn target_name(repository: &str, rule: &str) -> String {
    format!("{repository}:{rule}")
}

/// Why a request is refused before it reaches the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InvalidRequest {
    /// The image name is malformed; the message says how.
    Image(String),
    /// No rule was given.
    NoRules,
    /// One or more rules are malformed; each error names its rule.
    Rules(Vec<TagRuleError>),
    /// The same rule appears twice in one call.
    DuplicateRule(String),
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidRequest::Image(message) => f.write_str(message),
            InvalidRequest::NoRules => f.write_str(
                "no tag rule given: add at least one, such as `latest` or `production-*`",
            ),
            InvalidRequest::Rules(errors) => {
                let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
                f.write_str(&messages.join("; "))
            }
            InvalidRequest::DuplicateRule(rule) => write!(
                f,
                "tag rule {rule:?} is given twice; each rule makes one target, give it once"
            ),
        }
    }
}

impl std::error::Error for InvalidRequest {}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[&str]) -> Vec<String> {
        list.iter().map(|&r| r.to_owned()).collect()
    }

    #[test]
    fn image_names_with_registry_port_and_nested_repository() {
        let name = ImageName::parse("127.0.0.1:5000/acme/app").unwrap();
        let splits: Vec<_> = name.splits().collect();
        assert_eq!(
            splits,
            [
                ("127.0.0.1:5000", "acme/app"),
                ("127.0.0.1:5000/acme", "app")
            ]
        );
        assert_eq!(ImageName::parse("app").unwrap().splits().count(), 0);
    }

    #[test]
    fn image_with_a_tag_is_refused_with_the_split_to_use() {
        let err = ImageName::parse("127.0.0.1:5000/app:latest").unwrap_err();
        assert_eq!(
            err.to_string(),
            "image \"127.0.0.1:5000/app:latest\" names a tag; give the image \
             \"127.0.0.1:5000/app\" and the tag rule \"latest\""
        );
    }

    #[test]
    fn malformed_images_are_refused() {
        for (image, start) in [
            ("", "no image given"),
            ("my app", "image \"my app\" contains whitespace"),
            ("app@sha256:abc", "image \"app@sha256:abc\" names a digest"),
            (
                "ghcr.io//app",
                "image \"ghcr.io//app\" has an empty path segment",
            ),
            ("app/", "image \"app/\" has an empty path segment"),
        ] {
            let message = ImageName::parse(image).unwrap_err().to_string();
            assert!(message.starts_with(start), "{image}: {message}");
        }
    }

    #[test]
    fn rules_parse_in_order() {
        let parsed = parse_rules(&rules(&["latest", "production-*"])).unwrap();
        let texts: Vec<_> = parsed.iter().map(TagRule::as_str).collect();
        assert_eq!(texts, ["latest", "production-*"]);
    }

    #[test]
    fn every_invalid_rule_is_named() {
        let err = parse_rules(&rules(&["latest", "prod tag", "a/b"])).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(r#"invalid tag rule "prod tag" at position 5"#),
            "{message}"
        );
        assert!(
            message.contains(r#"invalid tag rule "a/b" at position 2"#),
            "{message}"
        );
        assert!(!message.contains("latest"), "{message}");
    }

    #[test]
    fn no_rules_and_duplicates_are_refused() {
        assert_eq!(parse_rules(&[]).unwrap_err(), InvalidRequest::NoRules);
        assert_eq!(
            parse_rules(&rules(&["v*", "latest", "v*"])).unwrap_err(),
            InvalidRequest::DuplicateRule("v*".into())
        );
    }

    #[test]
    fn target_name_is_repository_colon_rule() {
        assert_eq!(
            target_name("acme/app", "production-*"),
            "acme/app:production-*"
        );
    }
}
