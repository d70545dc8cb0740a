//! When was a tag pushed? The OCI Distribution API does not say, so the
//! watcher pieces the answer together, best evidence first:
//!
//! 1. the push time discovery reported for the same tag *and digest*
//!    (ECR, ACR and Artifact Registry record real push times; a time for
//!    another digest is stale, since the tag moved after discovery looked);
//! 2. the time this watcher first saw the tag point at its digest, when it
//!    saw that happen: the tag was absent, or pointed elsewhere, at its
//!    previous look. Polling makes this at most one cycle late, push
//!    notifications make it seconds late, and it is what makes a re-pushed
//!    tag "newer" than the rest;
//! 3. the image config's `created` time, for tags that were already there
//!    when the watcher first looked (or that discovery dated from the config
//!    itself). It is when the image was built, not pushed, so an old image
//!    pushed today ranks by its build date: the best guess available;
//! 4. the first sighting itself, when the config has no `created` either.
//!    Tags first seen together then tie, and the greater tag wins.
//!
//! Times from different sources come from different clocks; comparing them
//! is only as good as those clocks agree.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

/// What the watcher knows about one tag, stored between looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sighting {
    /// The digest the tag pointed at when last looked at.
    pub(crate) digest: String,
    /// When the watcher first saw the tag point at `digest`.
    pub(crate) first_seen: DateTime<Utc>,
    /// The tag already pointed at `digest` when the watcher first looked
    /// at it, so `first_seen` says nothing about when it was pushed.
    pub(crate) baseline: bool,
    /// The image config's `created`, fetched for baseline sightings only.
    pub(crate) created: Option<DateTime<Utc>>,
}

/// What discovery reported about one tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Discovered {
    /// The digest the tag pointed at when discovery looked.
    pub(crate) digest: String,
    /// The push time discovery reported.
    pub(crate) pushed_at: DateTime<Utc>,
    /// Discovery took `pushed_at` from the image config, not the registry.
    pub(crate) from_config: bool,
}

/// How the sightings of a repository change after one look.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Observation {
    /// Every tag looked at now, with what is known about it.
    pub(crate) sightings: BTreeMap<String, Sighting>,
    /// Tags whose sighting is new or changed and must be written.
    pub(crate) changed: BTreeSet<String>,
    /// Stored tags no longer watched (or gone), whose sighting is dropped.
    pub(crate) dropped: BTreeSet<String>,
}

/// Merges the digests read now into the stored sightings.
///
/// `previous_listing` is the repository's tag list at the watcher's last
/// look, `None` if it never looked. Only the tags in `digests` (those some
/// rule matches) keep a sighting: a tag nobody watched may have moved
/// unseen, so its next sighting is a baseline again.
pub(crate) fn observe(
    previous_listing: Option<&BTreeSet<String>>,
    stored: &BTreeMap<String, Sighting>,
    digests: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Observation {
    let mut observation = Observation::default();
    for (tag, digest) in digests {
        let sighting = match stored.get(tag) {
            Some(known) if &known.digest == digest => known.clone(),
            Some(_) => seen_now(digest, now, false),
            None => {
                let was_listed = previous_listing.is_none_or(|tags| tags.contains(tag));
                seen_now(digest, now, was_listed)
            }
        };
        if stored.get(tag) != Some(&sighting) {
            observation.changed.insert(tag.clone());
        }
        observation.sightings.insert(tag.clone(), sighting);
    }
    observation.dropped = stored
        .keys()
        .filter(|tag| !digests.contains_key(*tag))
        .cloned()
        .collect();
    observation
}

fn seen_now(digest: &str, now: DateTime<Utc>, baseline: bool) -> Sighting {
    Sighting {
        digest: digest.to_owned(),
        first_seen: now,
        baseline,
        created: None,
    }
}

/// Whether the image config must be read to date `sighting`: it is a
/// baseline and discovery has no time for this digest.
pub(crate) fn needs_config_time(sighting: &Sighting, discovered: Option<&Discovered>) -> bool {
    sighting.baseline
        && sighting.created.is_none()
        && discovered.is_none_or(|d| d.digest != sighting.digest)
}

/// The push time of a tag, by the order in the module documentation.
pub(crate) fn pushed_at(sighting: &Sighting, discovered: Option<&Discovered>) -> DateTime<Utc> {
    let discovered = discovered.filter(|d| d.digest == sighting.digest);
    if let Some(d) = discovered.filter(|d| !d.from_config) {
        return d.pushed_at;
    }
    if !sighting.baseline {
        return sighting.first_seen;
    }
    discovered
        .map(|d| d.pushed_at)
        .or(sighting.created)
        .unwrap_or(sighting.first_seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn digests(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(t, d)| ((*t).to_owned(), (*d).to_owned()))
            .collect()
    }

    fn listing(tags: &[&str]) -> BTreeSet<String> {
        tags.iter().map(|t| (*t).to_owned()).collect()
    }

    fn sighting(digest: &str, first_seen: i64, baseline: bool) -> Sighting {
        Sighting {
            digest: digest.into(),
            first_seen: at(first_seen),
            baseline,
            created: None,
        }
    }

    #[test]
    fn the_first_look_is_a_baseline() {
        let seen = observe(
            None,
            &BTreeMap::new(),
            &digests(&[("v1", "sha256:a")]),
            at(5),
        );
        assert_eq!(seen.sightings["v1"], sighting("sha256:a", 5, true));
        assert!(seen.changed.contains("v1"));
    }

    #[test]
    fn a_tag_that_appears_is_dated_by_its_sighting() {
        let before = listing(&["v1"]);
        let stored = BTreeMap::from([("v1".to_owned(), sighting("sha256:a", 0, true))]);
        let now = digests(&[("v1", "sha256:a"), ("v2", "sha256:b")]);
        let seen = observe(Some(&before), &stored, &now, at(60));
        assert_eq!(seen.sightings["v2"], sighting("sha256:b", 60, false));
        assert_eq!(seen.changed, listing(&["v2"]));
        assert!(seen.dropped.is_empty());
    }

    #[test]
    fn tags_no_longer_watched_are_dropped() {
        let stored = BTreeMap::from([("old".to_owned(), sighting("sha256:a", 0, true))]);
        let seen = observe(Some(&listing(&["old"])), &stored, &BTreeMap::new(), at(60));
        assert_eq!(seen.dropped, listing(&["old"]));
        assert!(seen.sightings.is_empty());
    }

    #[test]
    fn a_repushed_tag_is_newer() {
        let stored = BTreeMap::from([("prod".to_owned(), sighting("sha256:a", 0, true))]);
        let now = digests(&[("prod", "sha256:b")]);
        let seen = observe(Some(&listing(&["prod"])), &stored, &now, at(300));
        assert_eq!(seen.sightings["prod"], sighting("sha256:b", 300, false));
        assert_eq!(pushed_at(&seen.sightings["prod"], None), at(300));
    }

    #[test]
    fn a_listed_but_unwatched_tag_is_a_baseline() {
        let now = digests(&[("v9", "sha256:c")]);
        let seen = observe(Some(&listing(&["v9"])), &BTreeMap::new(), &now, at(60));
        assert!(seen.sightings["v9"].baseline);
    }

    #[test]
    fn discovery_times_win_for_the_same_digest_only() {
        let seen = sighting("sha256:b", 300, false);
        let same = Discovered {
            digest: "sha256:b".into(),
            pushed_at: at(250),
            from_config: false,
        };
        let stale = Discovered {
            digest: "sha256:a".into(),
            ..same.clone()
        };
        assert_eq!(pushed_at(&seen, Some(&same)), at(250));
        assert_eq!(pushed_at(&seen, Some(&stale)), at(300));
    }

    #[test]
    fn config_times_date_baselines_only() {
        let mut baseline = sighting("sha256:a", 300, true);
        assert_eq!(pushed_at(&baseline, None), at(300));
        assert!(needs_config_time(&baseline, None));
        baseline.created = Some(at(-1000));
        assert_eq!(pushed_at(&baseline, None), at(-1000));
        assert!(!needs_config_time(&baseline, None));

        let from_config = Discovered {
            digest: "sha256:a".into(),
            pushed_at: at(-50),
            from_config: true,
        };
        let appeared = sighting("sha256:a", 300, false);
        assert_eq!(pushed_at(&appeared, Some(&from_config)), at(300));
        assert!(!needs_config_time(
            &sighting("sha256:a", 0, true),
            Some(&from_config)
        ));
        assert_eq!(
            pushed_at(&sighting("sha256:a", 0, true), Some(&from_config)),
            at(-50)
        );
    }
}
