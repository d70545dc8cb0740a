//! Pushes the watcher was told about but has not seen yet.
//!
//! A registry may announce a push a moment before the tag answers with the
//! new digest: CNCF distribution sends the notification when the manifest
//! is stored and moves the tag just after. So a notified push is an
//! expectation: "this tag now points at this digest". A look at the
//! repository that shows otherwise is repeated shortly, a few times, until
//! it does; a tag no rule watches needs no second look.

use std::collections::HashMap;
use std::time::Duration;

use crate::refresh::Seen;
use crate::repository::RepositoryKey;

/// Looks after the first, at most, for one expectation.
const MAX_RETRIES: u32 = 6;

/// The pause before the first repeated look; doubles each time, so the
/// last of [`MAX_RETRIES`] comes about 6 s after the notification.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// The expectations per repository.
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    by_repository: HashMap<RepositoryKey, Vec<Expected>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    tag: String,
    digest: String,
    retries: u32,
}

impl Expectations {
    /// Expects `tag` of `key` to point at `digest`, replacing an older
    /// expectation for the same tag.
    pub(crate) fn expect(&mut self, key: RepositoryKey, tag: &str, digest: &str) {
        let expected = self.by_repository.entry(key).or_default();
        expected.retain(|e| e.tag != tag);
        expected.push(Expected {
            tag: tag.to_owned(),
            digest: digest.to_owned(),
            retries: 0,
        });
    }

    /// Settles `key`'s expectations against a look: drops those it
    /// confirms (or that ran out of retries) and returns the pause before
    /// the next look when some remain.
    pub(crate) fn settle(&mut self, key: &RepositoryKey, seen: &Seen) -> Option<Duration> {
        let mut expected = self.by_repository.remove(key)?;
        expected.retain(|e| !seen.confirms(&e.tag, &e.digest) && e.retries < MAX_RETRIES);
        let pause = expected
            .iter()
            .map(|e| e.retries)
            .min()
            .map(|retries| FIRST_PAUSE.saturating_mul(1 << retries))?;
        for e in &mut expected {
            e.retries += 1;
        }
        self.by_repository.insert(key.clone(), expected);
        Some(pause)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tagwarden_tagrule::TagRule;

    use super::*;

    fn seen(tags: &[(&str, &str)], rules: &[&str]) -> Seen {
        let digests: BTreeMap<String, String> = tags
            .iter()
            .map(|(t, d)| ((*t).to_owned(), (*d).to_owned()))
            .collect();
        let rules = rules.iter().map(|r| TagRule::parse(r).unwrap()).collect();
        Seen::new(digests, rules)
    }

    fn key() -> RepositoryKey {
        RepositoryKey::new("127.0.0.1:5000", "team/app")
    }

    #[test]
    fn a_stale_look_is_repeated_until_it_shows_the_push() {
        let mut expectations = Expectations::default();
        expectations.expect(key(), "production", "sha256:new");
        let stale = seen(&[("production", "sha256:old")], &["production"]);
        assert_eq!(
            expectations.settle(&key(), &stale),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            expectations.settle(&key(), &stale),
            Some(Duration::from_millis(200))
        );
        let fresh = seen(&[("production", "sha256:new")], &["production"]);
        assert_eq!(expectations.settle(&key(), &fresh), None);
        assert_eq!(expectations.settle(&key(), &stale), None);
    }

    #[test]
    fn unwatched_tags_need_no_second_look() {
        let mut expectations = Expectations::default();
        expectations.expect(key(), "staging", "sha256:new");
        assert_eq!(
            expectations.settle(&key(), &seen(&[], &["production"])),
            None
        );
    }

    #[test]
    fn a_tag_that_never_shows_up_is_given_up() {
        let mut expectations = Expectations::default();
        expectations.expect(key(), "production-9", "sha256:new");
        let without = seen(&[], &["production-*"]);
        let pauses: Vec<_> = std::iter::from_fn(|| expectations.settle(&key(), &without))
            .map(|p| p.as_millis())
            .collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1600, 3200]);
    }
}
