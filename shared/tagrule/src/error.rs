//! Why a string is not a tag rule, worded for the person who typed it.

use std::fmt;

use crate::TagRule;

/// Why a string is not a tag rule.
///
/// Each variant is a kind a caller can act on (the API maps all of them to
/// an invalid-argument status), and its message names the rule and says
/// what to change. Positions count characters from 1, as a person would
/// count them in the rule they typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagRuleError {
    /// The rule is the empty string, which would name no tag at all.
    #[error("a tag rule cannot be empty: write a tag, or `*` to follow every tag")]
    Empty,

    /// The rule is longer than any tag can be, so it could never match.
    #[error(
        "invalid tag rule {} ({len} characters): a tag rule may be at most {max} characters, \
         like the tags it names",
        Shown(.rule),
        max = TagRule::MAX_LEN
    )]
    TooLong {
        /// The rule as given.
        rule: String,
        /// Its length in characters.
        len: usize,
    },

    /// The rule starts with `.` or `-`, which no tag starts with.
    #[error(
        "invalid tag rule {}: it starts with `{ch}`, but a tag rule starts with a letter, \
         a digit, `_` or `*`, as tags cannot start with `.` or `-`",
        Shown(.rule)
    )]
    InvalidStart {
        /// The rule as given.
        rule: String,
        /// The first character.
        ch: char,
    },

    /// The rule holds `**`; one `*` already matches any run of characters,
    /// and refusing the double keeps one spelling per rule.
    #[error(
        "invalid tag rule {} at position {position}: `**` is not allowed; \
         a single `*` already matches one or more characters",
        Shown(.rule)
    )]
    AdjacentStars {
        /// The rule as given.
        rule: String,
        /// Where the first of the two stars is, counted from 1.
        position: usize,
    },

    /// The rule holds a character that no tag can hold.
    #[error("invalid tag rule {} at position {position}: {}", Shown(.rule), explain(*.ch))]
    InvalidCharacter {
        /// The rule as given.
        rule: String,
        /// The offending character.
        ch: char,
        /// Where it is, counted from 1.
        position: usize,
    },
}

/// Why `ch` is refused, with a hint for the usual mistakes: a space, a
/// repository path, a `repository:rule` target name or a digest pasted
/// where only the rule belongs.
fn explain(ch: char) -> String {
    match ch {
        ' ' => "a space is not allowed in a tag rule: tags cannot contain spaces".to_owned(),
        '/' => "`/` is not allowed in a tag rule: a rule names tags, not repositories".to_owned(),
        ':' => {
            "`:` is not allowed in a tag rule: give only the part after `repository:`".to_owned()
        }
        '@' => "`@` is not allowed in a tag rule: a rule names tags, not digests".to_owned(),
        _ => format!(
            "`{}` is not allowed in a tag rule: tags use only ASCII letters, digits, \
             `_`, `.` and `-`, and a rule may add `*`",
            ch.escape_debug()
        ),
    }
}

/// Quotes a rule for a message, cutting a long one short so that a pasted
/// paragraph does not flood a log line or an API response.
struct Shown<'a>(&'a str);

impl Shown<'_> {
    /// How many characters of a rule a message shows.
    const LIMIT: usize = 40;
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(Self::LIMIT) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(f, "{:?}…", &self.0[..cut]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_short_rules_whole_and_quoted() {
        assert_eq!(Shown("prod tag").to_string(), r#""prod tag""#);
        assert_eq!(Shown("a\tb").to_string(), r#""a\tb""#);
    }

    #[test]
    fn cuts_long_rules() {
        let rule = "a".repeat(129);
        assert_eq!(Shown(&rule).to_string(), format!("{:?}…", "a".repeat(40)));
    }

    #[test]
    fn explains_other_characters_escaped() {
        assert_eq!(
            explain('\n'),
            "`\\n` is not allowed in a tag rule: tags use only ASCII letters, digits, \
             `_`, `.` and `-`, and a rule may add `*`"
        );
    }
}
