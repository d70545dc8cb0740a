//! Choosing the one tag a target scans among those its rule matches.

use crate::TagRule;

/// Picks the tag to scan: among the `(tag, pushed)` pairs whose tag matches
/// `rule`, the most recently pushed (greatest `pushed`); between tags pushed
/// at the same time, the lexicographically greatest tag, so that every
/// service resolves the same rule over the same tags to the same answer.
/// `None` when no tag matches.
///
/// Pure on purpose: the watcher lists tags and push times from the
/// registry, and this decides, so the decision is tested with plain values.
/// `pushed` is whatever the caller orders pushes by, such as a timestamp.
pub fn resolve<'a, T: Ord>(
    rule: &TagRule,
    tags: impl IntoIterator<Item = (&'a str, T)>,
) -> Option<(&'a str, T)> {
    tags.into_iter()
        .filter(|(tag, _)| rule.matches(tag))
        .max_by(|(tag_a, pushed_a), (tag_b, pushed_b)| {
            pushed_a.cmp(pushed_b).then_with(|| tag_a.cmp(tag_b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> TagRule {
        TagRule::parse(text).unwrap()
    }

    #[test]
    fn newest_push_wins() {
        let tags = [
            ("production-v1", 300),
            ("production-v3", 100),
            ("staging-v9", 900),
            ("production-v2", 200),
        ];
        assert_eq!(
            resolve(&rule("production-*"), tags),
            Some(("production-v1", 300))
        );
    }

    #[test]
    fn equal_push_times_go_to_the_greater_tag() {
        let tags = [("v1-stable", 500), ("v2-stable", 500), ("v10-stable", 500)];
        assert_eq!(resolve(&rule("*-stable"), tags), Some(("v2-stable", 500)));
        let reversed = [("v10-stable", 500), ("v2-stable", 500), ("v1-stable", 500)];
        assert_eq!(
            resolve(&rule("*-stable"), reversed),
            Some(("v2-stable", 500))
        );
    }

    #[test]
    fn no_match_is_none() {
        let tags = [("latest", 1), ("production-", 2)];
        assert_eq!(resolve(&rule("production-*"), tags), None);
        assert_eq!(resolve(&rule("latest"), Vec::<(&str, u64)>::new()), None);
    }

    #[test]
    fn exact_rule_resolves_to_its_tag() {
        let tags = [("latest", 1), ("Latest", 9), ("latest1", 9)];
        assert_eq!(resolve(&rule("latest"), tags), Some(("latest", 1)));
    }
}
