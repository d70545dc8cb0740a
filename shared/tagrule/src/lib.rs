//! Tag rules: which tags of an image a target follows.
//!
//! A target is `repository:rule`. The rule is either one exact tag
//! (`latest`) or a pattern in which `*` stands for one or more characters
//! (`production-*`, `app-*-prod-*`). The licensing service parses rules
//! when a target is added, so a bad rule is refused with a message a person
//! can act on; the tag watcher uses [`TagRule::matches`] and [`resolve`] to
//! decide which tag, and so which digest, a target scans.
//!
//! - [`TagRule`] is the validated rule; holding one means it is well formed.
//! - [`TagRuleError`] says why a string is not a rule.
//! - [`resolve`] picks the tag to scan among those that match.

mod error;
mod matching;
mod parse;
mod resolve;

use std::fmt;
use std::str::FromStr;

pub use error::TagRuleError;
pub use resolve::resolve;

/// A well-formed tag rule.
///
/// Built only through [`TagRule::parse`] (or [`FromStr`] / [`TryFrom`]),
/// so code that receives a `TagRule` never checks the string again. The
/// rule is kept exactly as written: it is also the second half of a
/// target's name, and must print back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagRule(String);

impl TagRule {
    /// The longest rule accepted, in characters: the longest OCI tag, since a
    /// rule longer than any tag could never match one.
    pub const MAX_LEN: usize = 128;

    /// Checks `rule` and wraps it.
    ///
    /// A rule uses the OCI tag alphabet (`A-Z a-z 0-9 _ . -`) plus `*`,
    /// starts with a letter, a digit, `_` or `*`, has no `**`, and is at most
    /// [`TagRule::MAX_LEN`] characters. Nothing is trimmed: a stray space is
    /// an error, not something silently fixed.
    pub fn parse(rule: &str) -> Result<Self, TagRuleError> {
        parse::validate(rule)?;
        Ok(Self(rule.to_owned()))
    }

    /// The rule as written, for storage, target names and messages.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the rule names one tag (it has no `*`), so a target follows
    /// that tag alone and never moves to another one.
    pub fn is_exact(&self) -> bool {
        !self.0.contains('*')
    }

    /// Whether `tag` is one this rule follows.
    ///
    /// Case-sensitive, as registries are. Each `*` matches one or more
    /// characters, so `production-*` does not match `production-`. Runs in
    /// time linear in the lengths of the tag and the rule, whatever the
    /// rule, so a hostile rule cannot stall the watcher.
    pub fn matches(&self, tag: &str) -> bool {
        matching::matches(&self.0, tag)
    }
}

impl fmt::Display for TagRule {
    /// Writes the rule as written, so a target name is `repository:{rule}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TagRule {
    type Err = TagRuleError;

    /// Same as [`TagRule::parse`], for `str::parse` and config loaders.
    fn from_str(rule: &str) -> Result<Self, Self::Err> {
        Self::parse(rule)
    }
}

impl TryFrom<String> for TagRule {
    type Error = TagRuleError;

    /// Same as [`TagRule::parse`], keeping the string's allocation.
    fn try_from(rule: String) -> Result<Self, Self::Error> {
        parse::validate(&rule)?;
        Ok(Self(rule))
    }
}

impl From<TagRule> for String {
    /// Gives back the rule as written, e.g. to store it.
    fn from(rule: TagRule) -> Self {
        rule.0
    }
}

impl AsRef<str> for TagRule {
    /// The rule as written, like [`TagRule::as_str`].
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_every_constructor() {
        let parsed = TagRule::parse("app-*-prod-*").unwrap();
        let from_str: TagRule = "app-*-prod-*".parse().unwrap();
        let from_string = TagRule::try_from(String::from("app-*-prod-*")).unwrap();

        assert_eq!(parsed, from_str);
        assert_eq!(parsed, from_string);
        assert_eq!(parsed.as_str(), "app-*-prod-*");
        assert_eq!(parsed.to_string(), "app-*-prod-*");
        assert_eq!(String::from(parsed), "app-*-prod-*");
    }

    #[test]
    fn constructors_reject_what_parse_rejects() {
        assert_eq!("a/b".parse::<TagRule>(), TagRule::parse("a/b"));
        assert_eq!(
            TagRule::try_from(String::from("a/b")),
            TagRule::parse("a/b")
        );
    }

    #[test]
    fn is_exact_only_without_star() {
        assert!(TagRule::parse("latest").unwrap().is_exact());
        assert!(TagRule::parse("v1.2.3").unwrap().is_exact());
        assert!(!TagRule::parse("*").unwrap().is_exact());
        assert!(!TagRule::parse("v1.*").unwrap().is_exact());
    }
}
