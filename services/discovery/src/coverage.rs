//! Whether a target covers a tag: some target of the repository has a
//! tag rule that matches it. Rules are parsed once per question; a stored
//! rule that no longer parses (it came from another version) covers
//! nothing rather than failing the sync.

use tagwarden_tagrule::TagRule;

/// The rules of one repository's targets, parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules(Vec<TagRule>);

impl Rules {
    /// Parses `rules`, dropping any that do not parse.
    pub(crate) fn parse<S: AsRef<str>>(rules: &[S]) -> Self {
        Self(
            rules
                .iter()
                .filter_map(|r| TagRule::parse(r.as_ref()).ok())
                .collect(),
        )
    }

    /// Whether some rule matches `tag`; an untagged manifest is never
    /// covered.
    pub(crate) fn cover(&self, tag: Option<&str>) -> bool {
        tag.is_some_and(|tag| self.0.iter().any(|rule| rule.matches(tag)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_covered_when_some_rule_matches() {
        let rules = Rules::parse(&["latest", "production-*", "bad rule"]);
        assert!(rules.cover(Some("latest")));
        assert!(rules.cover(Some("production-7")));
        assert!(!rules.cover(Some("production-")));
        assert!(!rules.cover(Some("v1")));
        assert!(!rules.cover(None));
        assert!(!Rules::default().cover(Some("latest")));
    }
}
