//! The decision at the heart of the watcher, with no I/O: given what a
//! target resolved to before and the tags its repository has now (each with
//! its digest and push time), what does it resolve to now, and is that a
//! change worth announcing?
//!
//! Which tag wins is [`tagwarden_tagrule::resolve`]'s rule (newest push,
//! ties to the lexicographically greatest tag), so every service agrees on
//! it. What counts as a change is decided here: a new tag or a new digest is
//! announced; a refined push time for the same tag and digest is not, since
//! there is nothing new to scan.

use chrono::{DateTime, Utc};
use tagwarden_tagrule::{TagRule, resolve};

/// What a target's rule resolves to: one tag and the digest it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolution {
    /// The tag the rule resolved to.
    pub(crate) tag: String,
    /// The manifest digest the tag pointed at.
    pub(crate) digest: String,
    /// When that tag was pushed with that digest (see `pushed.rs`).
    pub(crate) pushed_at: DateTime<Utc>,
}

/// A tag of the repository as the watcher sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate<'a> {
    /// The tag.
    pub(crate) tag: &'a str,
    /// The digest it points at now.
    pub(crate) digest: &'a str,
    /// When it was pushed with that digest.
    pub(crate) pushed_at: DateTime<Utc>,
}

/// Why a resolution is announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// The target had no resolution before (it is new, or no tag matched).
    First,
    /// Another tag now wins: a newer matching tag was pushed, or the one
    /// that won is gone.
    TagMoved,
    /// The same tag now points at another digest: it was pushed again.
    Repushed,
}

impl Change {
    /// A short name for logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::First => "first",
            Change::TagMoved => "tag-moved",
            Change::Repushed => "repushed",
        }
    }
}

/// The outcome of one look at a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// What the target resolves to from now on. Equal to the previous
    /// resolution when no tag matches: a target never loses its resolution
    /// because its tags vanished, and an empty or failed listing never
    /// reaches this function.
    pub(crate) next: Option<Resolution>,
    /// Set when `next` is announced as `tags.digest_changed`.
    pub(crate) change: Option<Change>,
}

impl Decision {
    /// Whether the stored resolution has to be written: on a change, or when
    /// only the push time was refined.
    pub(crate) fn rewrites(&self, previous: Option<&Resolution>) -> bool {
        self.next.as_ref() != previous
    }
}

/// Decides what `rule` resolves to among `candidates`, given `previous`.
pub(crate) fn decide(
    rule: &TagRule,
    previous: Option<&Resolution>,
    candidates: &[Candidate<'_>],
) -> Decision {
    let ranked = candidates.iter().map(|c| (c.tag, c.pushed_at));
    // Tags are unique within a repository, so the winning tag names one
    // candidate; its digest is looked up after ranking because ties must be
    // broken by tag, never by digest.
    let winner =
        resolve(rule, ranked).and_then(|(tag, _)| candidates.iter().find(|c| c.tag == tag));
    let Some(&Candidate {
        tag,
        digest,
        pushed_at,
    }) = winner
    else {
        return Decision {
            next: previous.cloned(),
            change: None,
        };
    };
    let change = match previous {
        None => Some(Change::First),
        Some(before) if before.tag != tag => Some(Change::TagMoved),
        Some(before) if before.digest != digest => Some(Change::Repushed),
        Some(_) => None,
    };
    let next = Resolution {
        tag: tag.to_owned(),
        digest: digest.to_owned(),
        pushed_at,
    };
    Decision {
        next: Some(next),
        change,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn rule(text: &str) -> TagRule {
        TagRule::parse(text).unwrap()
    }

    fn candidate<'a>(tag: &'a str, digest: &'a str, pushed: i64) -> Candidate<'a> {
        Candidate {
            tag,
            digest,
            pushed_at: at(pushed),
        }
    }

    fn resolution(tag: &str, digest: &str, pushed: i64) -> Resolution {
        Resolution {
            tag: tag.into(),
            digest: digest.into(),
            pushed_at: at(pushed),
        }
    }

    #[test]
    fn a_new_target_resolves_and_is_announced() {
        let tags = [candidate("production", "sha256:a", 10)];
        let decision = decide(&rule("production"), None, &tags);
        assert_eq!(
            decision.next,
            Some(resolution("production", "sha256:a", 10))
        );
        assert_eq!(decision.change, Some(Change::First));
    }

    #[test]
    fn a_repushed_tag_is_announced_once() {
        let before = resolution("production", "sha256:a", 10);
        let tags = [candidate("production", "sha256:b", 20)];
        let decision = decide(&rule("production"), Some(&before), &tags);
        assert_eq!(decision.change, Some(Change::Repushed));
        let after = decision.next.unwrap();
        assert_eq!(after, resolution("production", "sha256:b", 20));

        let again = decide(&rule("production"), Some(&after), &tags);
        assert_eq!(again.change, None);
        assert!(!again.rewrites(Some(&after)));
    }

    #[test]
    fn a_newer_matching_tag_wins() {
        let before = resolution("production-1", "sha256:a", 10);
        let tags = [
            candidate("production-1", "sha256:a", 10),
            candidate("production-2", "sha256:b", 20),
            candidate("staging-9", "sha256:c", 30),
        ];
        let decision = decide(&rule("production-*"), Some(&before), &tags);
        assert_eq!(decision.change, Some(Change::TagMoved));
        assert_eq!(decision.next.unwrap().tag, "production-2");
    }

    #[test]
    fn a_non_matching_tag_changes_nothing() {
        let before = resolution("production-1", "sha256:a", 10);
        let tags = [
            candidate("production-1", "sha256:a", 10),
            candidate("staging-1", "sha256:z", 99),
        ];
        let decision = decide(&rule("production-*"), Some(&before), &tags);
        assert_eq!(decision.change, None);
        assert!(!decision.rewrites(Some(&before)));
    }

    #[test]
    fn equal_push_times_go_to_the_greater_tag() {
        let tags = [
            candidate("production-b", "sha256:b", 10),
            candidate("production-a", "sha256:a", 10),
            candidate("production-10", "sha256:c", 10),
        ];
        let decision = decide(&rule("production-*"), None, &tags);
        assert_eq!(decision.next.unwrap().tag, "production-b");
    }

    #[test]
    fn no_matching_tag_keeps_the_previous_resolution() {
        let before = resolution("production-1", "sha256:a", 10);
        let tags = [candidate("staging-1", "sha256:z", 99)];
        let decision = decide(&rule("production-*"), Some(&before), &tags);
        assert_eq!(decision.next, Some(before.clone()));
        assert_eq!(decision.change, None);
        assert_eq!(decide(&rule("production-*"), None, &[]).next, None);
    }

    #[test]
    fn a_refined_push_time_is_stored_but_not_announced() {
        let before = resolution("production", "sha256:a", 10);
        let tags = [candidate("production", "sha256:a", 5)];
        let decision = decide(&rule("production"), Some(&before), &tags);
        assert_eq!(decision.change, None);
        assert!(decision.rewrites(Some(&before)));
    }

    #[test]
    fn losing_the_winning_tag_moves_back() {
        let before = resolution("production-2", "sha256:b", 20);
        let tags = [candidate("production-1", "sha256:a", 10)];
        let decision = decide(&rule("production-*"), Some(&before), &tags);
        assert_eq!(decision.change, Some(Change::TagMoved));
        assert_eq!(decision.next.unwrap().tag, "production-1");
    }
}
