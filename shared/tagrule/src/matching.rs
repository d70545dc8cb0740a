//! Matching a tag against a rule in linear time.
//!
//! A rule `p*m1*m2*…*s` splits at its stars into a prefix `p`, a suffix `s`
//! and middle segments `m1, m2, …`, each non-empty because `**` is refused.
//! The tag must start with `p` and end with `s`; what lies between must hold
//! the middle segments in order, with at least one character before each
//! one and after the last. Taking the leftmost place for each middle
//! segment leaves the most room for the rest, so that choice never has to
//! be undone: one forward pass, no backtracking, and a rule such as
//! `*a*a*a*a*b` costs no more than any other.

/// Whether `tag` matches the well-formed rule `rule`.
///
/// A star is ASCII and so is every other rule character, so every place a
/// segment is found in the tag is a character boundary even when the tag
/// holds non-ASCII text; a star still consumes whole characters.
pub(crate) fn matches(rule: &str, tag: &str) -> bool {
    let mut segments = rule.split('*');
    let prefix = segments.next().unwrap_or_default();
    let Some(suffix) = segments.next_back() else {
        return tag == prefix;
    };

    let Some(between) = tag
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
    else {
        return false;
    };

    let mut rest = between;
    for segment in segments {
        let Some(after_star) = skip_one_char(rest) else {
            return false;
        };
        let Some(at) = after_star.find(segment) else {
            return false;
        };
        rest = &after_star[at + segment.len()..];
    }
    // The last star also needs a character of its own.
    !rest.is_empty()
}

/// `text` without its first character, or `None` when it is empty: the
/// least a star can consume.
fn skip_one_char(text: &str) -> Option<&str> {
    let mut chars = text.chars();
    chars.next()?;
    Some(chars.as_str())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::TagRule;

    fn rule(text: &str) -> TagRule {
        TagRule::parse(text).unwrap()
    }

    #[test]
    fn trailing_star_needs_a_character() {
        let rule = rule("production-*");
        for tag in ["production-v1", "production-latest", "production-abc123"] {
            assert!(rule.matches(tag), "{tag}");
        }
        assert!(!rule.matches("production-"));
        assert!(!rule.matches("staging-production-1"));
    }

    #[test]
    fn leading_star_needs_a_character() {
        let rule = rule("*-stable");
        for tag in ["v1-stable", "release-stable", "2026-stable"] {
            assert!(rule.matches(tag), "{tag}");
        }
        assert!(!rule.matches("-stable"));
        assert!(!rule.matches("v1-stable2"));
    }

    #[test]
    fn stars_on_both_sides() {
        let rule = rule("*-release-*");
        assert!(rule.matches("v1-release-candidate"));
        assert!(!rule.matches("-release-candidate"));
        assert!(!rule.matches("v1-release-"));
    }

    #[test]
    fn several_stars() {
        let rule = rule("app-*-prod-*");
        for tag in [
            "app-web-prod-v1",
            "app-api-prod-latest",
            "app-service-prod-2024",
        ] {
            assert!(rule.matches(tag), "{tag}");
        }
        assert!(!rule.matches("app--prod-v1"));
        assert!(!rule.matches("app-web-prod-"));
        assert!(!rule.matches("app-web-staging-v1"));
    }

    #[test]
    fn exact_rule_matches_only_itself() {
        let rule = rule("latest");
        assert!(rule.matches("latest"));
        assert!(!rule.matches("Latest"));
        assert!(!rule.matches("latest1"));
        assert!(!rule.matches("1latest"));
        assert!(!rule.matches(""));
    }

    #[test]
    fn star_is_one_or_more_characters() {
        assert!(!rule("a*").matches("a"));
        assert!(rule("a*").matches("ab"));
        assert!(!rule("*-*").matches("-"));
        assert!(!rule("*-*").matches("a-"));
        assert!(rule("*-*").matches("a-b"));
        assert!(!rule("*").matches(""));
        assert!(rule("*").matches("x"));
        assert!(!rule("a*a").matches("a"));
        assert!(!rule("a*a").matches("aa"));
        assert!(rule("a*a").matches("aba"));
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert!(!rule("prod-*").matches("PROD-1"));
        assert!(!rule("*-RC").matches("v1-rc"));
    }

    #[test]
    fn star_consumes_whole_characters() {
        assert!(rule("v*").matches("vé"));
        assert!(rule("*-x").matches("é-x"));
        assert!(rule("a*b*c").matches("aébéc"));
        assert!(!rule("a*b*c").matches("abéc"));
    }

    #[test]
    fn many_stars_without_a_match() {
        let tag = "a".repeat(128);
        assert!(!rule("*a*a*a*a*a*a*a*b").matches(&tag));
        assert!(rule("*a*a*a*a*a*a*a*").matches(&tag));
    }

    #[test]
    fn many_stars_on_a_long_tag() {
        // Far beyond any real tag: the pass is linear, so this stays quick.
        let tag = format!("{}b", "a".repeat(100_000));
        assert!(rule("*a*a*a*a*a*a*a*b").matches(&tag));
        assert!(!rule("*a*a*a*a*a*a*a*c").matches(&tag));
        assert!(!rule("*a*b*a").matches(&tag));
    }

    /// The rule as an anchored regular expression, `*` as `.+`: the meaning
    /// the design gives, written the obvious (and slower) way.
    fn reference(rule: &str) -> regex::Regex {
        let body: Vec<String> = rule.split('*').map(regex::escape).collect();
        regex::Regex::new(&format!(r"(?s)\A{}\z", body.join(".+"))).unwrap()
    }

    /// Well-formed rules over a tiny alphabet, so that matches are common.
    fn rules() -> impl Strategy<Value = TagRule> {
        "[ab*-]{1,8}".prop_filter_map("not a well-formed rule", |text| TagRule::parse(&text).ok())
    }

    /// A tag made from `rule` by putting zero to three characters in place
    /// of each star: zero is the case a `+`-style star must refuse.
    fn tag_from(rule: &TagRule, fills: &[String]) -> String {
        let mut fills = fills.iter();
        rule.as_str()
            .split('*')
            .enumerate()
            .map(|(index, segment)| {
                if index == 0 {
                    segment.to_owned()
                } else {
                    format!("{}{segment}", fills.next().map_or("", String::as_str))
                }
            })
            .collect()
    }

    proptest! {
        #[test]
        fn agrees_with_regex_on_random_tags(rule in rules(), tag in "[ab*é-]{0,12}") {
            prop_assert_eq!(rule.matches(&tag), reference(rule.as_str()).is_match(&tag));
        }

        #[test]
        fn agrees_with_regex_on_tags_shaped_like_the_rule(
            rule in rules(),
            fills in prop::collection::vec("[ab-]{0,3}", 8),
        ) {
            let tag = tag_from(&rule, &fills);
            prop_assert_eq!(rule.matches(&tag), reference(rule.as_str()).is_match(&tag));
        }
    }
}
