//! Checking a string against the tag rule grammar.
//!
//! The grammar is the OCI tag grammar, `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`,
//! with `*` allowed anywhere (first included) but never twice in a row.

use crate::{TagRule, TagRuleError};

/// Accepts `rule` if it is well formed, or says what is wrong first.
///
/// Characters are checked before the length, so a long rule with a stray
/// space is told about the space, and the length then counts only ASCII.
pub(crate) fn validate(rule: &str) -> Result<(), TagRuleError> {
    let mut previous = None;
    for (index, ch) in rule.chars().enumerate() {
        let position = index + 1;
        if !is_rule_char(ch) {
            return Err(TagRuleError::InvalidCharacter {
                rule: rule.to_owned(),
                ch,
                position,
            });
        }
        if index == 0 && matches!(ch, '.' | '-') {
            return Err(TagRuleError::InvalidStart {
                rule: rule.to_owned(),
                ch,
            });
        }
        if ch == '*' && previous == Some('*') {
            return Err(TagRuleError::AdjacentStars {
                rule: rule.to_owned(),
                position: index,
            });
        }
        previous = Some(ch);
    }

    // Every character is ASCII by now, so bytes and characters agree.
    match rule.len() {
        0 => Err(TagRuleError::Empty),
        len if len > TagRule::MAX_LEN => Err(TagRuleError::TooLong {
            rule: rule.to_owned(),
            len,
        }),
        _ => Ok(()),
    }
}

/// The OCI tag alphabet plus `*`.
fn is_rule_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-' | '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(rule: &str) -> String {
        TagRule::parse(rule).unwrap_err().to_string()
    }

    #[test]
    fn accepts_tags_and_patterns() {
        for rule in [
            "latest",
            "v1.2.3",
            "_internal",
            "production-*",
            "*-stable",
            "*",
            "*a*",
            "app-*-prod-*",
            "1.*.x_y-Z",
        ] {
            assert!(TagRule::parse(rule).is_ok(), "{rule} should parse");
        }
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(TagRule::parse(""), Err(TagRuleError::Empty));
        assert_eq!(
            message(""),
            "a tag rule cannot be empty: write a tag, or `*` to follow every tag"
        );
    }

    #[test]
    fn rejects_adjacent_stars() {
        assert_eq!(
            TagRule::parse("**"),
            Err(TagRuleError::AdjacentStars {
                rule: "**".to_owned(),
                position: 1
            })
        );
        assert_eq!(
            message("**"),
            "invalid tag rule \"**\" at position 1: `**` is not allowed; \
             a single `*` already matches one or more characters"
        );
        assert_eq!(
            TagRule::parse("v1-**-x"),
            Err(TagRuleError::AdjacentStars {
                rule: "v1-**-x".to_owned(),
                position: 4
            })
        );
    }

    #[test]
    fn rejects_space_with_hint() {
        assert_eq!(
            TagRule::parse("prod tag"),
            Err(TagRuleError::InvalidCharacter {
                rule: "prod tag".to_owned(),
                ch: ' ',
                position: 5
            })
        );
        assert_eq!(
            message("prod tag"),
            "invalid tag rule \"prod tag\" at position 5: \
             a space is not allowed in a tag rule: tags cannot contain spaces"
        );
    }

    #[test]
    fn rejects_slash_with_hint() {
        assert_eq!(
            message("a/b"),
            "invalid tag rule \"a/b\" at position 2: \
             `/` is not allowed in a tag rule: a rule names tags, not repositories"
        );
    }

    #[test]
    fn rejects_colon_with_hint() {
        assert_eq!(
            message("a:b"),
            "invalid tag rule \"a:b\" at position 2: \
             `:` is not allowed in a tag rule: give only the part after `repository:`"
        );
    }

    #[test]
    fn rejects_at_sign_with_hint() {
        assert_eq!(
            message("a@sha256"),
            "invalid tag rule \"a@sha256\" at position 2: \
             `@` is not allowed in a tag rule: a rule names tags, not digests"
        );
    }

    #[test]
    fn rejects_other_characters() {
        assert_eq!(
            TagRule::parse("v1+é"),
            Err(TagRuleError::InvalidCharacter {
                rule: "v1+é".to_owned(),
                ch: '+',
                position: 3
            })
        );
        assert_eq!(
            message("caf\u{e9}"),
            "invalid tag rule \"café\" at position 4: `é` is not allowed in a tag rule: \
             tags use only ASCII letters, digits, `_`, `.` and `-`, and a rule may add `*`"
        );
        assert!(TagRule::parse("latest\n").is_err());
    }

    #[test]
    fn rejects_dot_or_dash_first() {
        assert_eq!(
            TagRule::parse("-prod"),
            Err(TagRuleError::InvalidStart {
                rule: "-prod".to_owned(),
                ch: '-'
            })
        );
        assert_eq!(
            message(".x"),
            "invalid tag rule \".x\": it starts with `.`, but a tag rule starts with a \
             letter, a digit, `_` or `*`, as tags cannot start with `.` or `-`"
        );
        assert!(TagRule::parse("*-prod").is_ok());
    }

    #[test]
    fn accepts_128_characters_and_rejects_129() {
        assert!(TagRule::parse(&"a".repeat(128)).is_ok());
        assert!(TagRule::parse(&format!("{}*", "a".repeat(127))).is_ok());

        let rule = "a".repeat(129);
        assert_eq!(
            TagRule::parse(&rule),
            Err(TagRuleError::TooLong {
                rule: rule.clone(),
                len: 129
            })
        );
        assert_eq!(
            message(&rule),
            format!(
                "invalid tag rule \"{}\"… (129 characters): a tag rule may be at most \
                 128 characters, like the tags it names",
                "a".repeat(40)
            )
        );
    }

    #[test]
    fn reports_the_first_problem() {
        let rule = format!("{} x", "a".repeat(200));
        assert!(matches!(
            TagRule::parse(&rule),
            Err(TagRuleError::InvalidCharacter {
                ch: ' ',
                position: 201,
                ..
            })
        ));
    }
}
