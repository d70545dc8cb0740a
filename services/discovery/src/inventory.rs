//! The inventory of one integration as plain values, and the pure
//! comparison of what is stored with what a sync listed: which
//! repositories are new or changed (announced), which changed only in
//! untagged manifests (rewritten quietly), and which are gone.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tagwarden_registry::provider::{ImageTag, PushedAtSource, RepositoryListing};

/// One image of a repository as the inventory keeps it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    /// `None` for an untagged manifest.
    pub(crate) tag: Option<String>,
    /// Empty for the placeholder of a repository without any listed
    /// image (a plain OCI registry cannot list untagged manifests).
    pub(crate) digest: String,
    pub(crate) media_type: String,
    /// Truncated to microseconds, which every backend stores exactly, so
    /// an unchanged image compares equal after a round trip.
    pub(crate) pushed_at: Option<DateTime<Utc>>,
    pub(crate) pushed_at_from_config: bool,
}

impl Entry {
    /// The placeholder row of a repository without tags.
    pub(crate) fn placeholder() -> Self {
        Self {
            tag: None,
            digest: String::new(),
            media_type: String::new(),
            pushed_at: None,
            pushed_at_from_config: false,
        }
    }
}

/// Repositories by name, each with its entries sorted.
pub(crate) type Inventory = BTreeMap<String, Vec<Entry>>;

/// What a sync changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// New repositories, and those whose tags changed: rewritten and
    /// announced with `ImageDiscovered`.
    pub(crate) discovered: Vec<String>,
    /// Repositories whose untagged manifests alone changed: rewritten,
    /// not announced (the event carries tags only).
    pub(crate) rewritten: Vec<String>,
    /// Repositories gone from the registry: deleted and announced with
    /// `ImageRemoved`.
    pub(crate) removed: Vec<String>,
}

impl Plan {
    /// Whether the sync changes nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.discovered.is_empty() && self.rewritten.is_empty() && self.removed.is_empty()
    }
}

/// The inventory a provider listing describes.
pub(crate) fn from_listing(listing: Vec<RepositoryListing>) -> Inventory {
    listing
        .into_iter()
        .map(|repository| {
            let mut entries: Vec<Entry> = repository.images.into_iter().map(entry).collect();
            if entries.is_empty() {
                entries.push(Entry::placeholder());
            }
            entries.sort();
            entries.dedup();
            (repository.name, entries)
        })
        .collect()
}

fn entry(image: ImageTag) -> Entry {
    Entry {
        tag: image.tag,
        digest: image.digest.to_string(),
        media_type: image.media_type,
        pushed_at: image.pushed_at.map(micros),
        pushed_at_from_config: image.pushed_at_source == PushedAtSource::ImageConfig,
    }
}

/// `time` truncated to whole microseconds.
pub(crate) fn micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

/// Compares the stored inventory with a fresh listing.
pub(crate) fn plan(stored: &Inventory, listed: &Inventory) -> Plan {
    let mut plan = Plan::default();
    for (name, entries) in listed {
        match stored.get(name) {
            None => plan.discovered.push(name.clone()),
            Some(before) if tagged(before).ne(tagged(entries)) => {
                plan.discovered.push(name.clone());
            }
            Some(before) if before != entries => plan.rewritten.push(name.clone()),
            Some(_) => {}
        }
    }
    plan.removed = stored
        .keys()
        .filter(|name| !listed.contains_key(*name))
        .cloned()
        .collect();
    plan
}

fn tagged(entries: &[Entry]) -> impl Iterator<Item = &Entry> {
    entries.iter().filter(|e| e.tag.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str, digest: &str) -> Entry {
        Entry {
            tag: Some(name.into()),
            digest: digest.into(),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            pushed_at: DateTime::from_timestamp(1_800_000_000, 0),
            pushed_at_from_config: false,
        }
    }

    fn untagged(digest: &str) -> Entry {
        Entry {
            tag: None,
            ..tag("x", digest)
        }
    }

    fn inventory(repos: &[(&str, Vec<Entry>)]) -> Inventory {
        repos
            .iter()
            .map(|(name, entries)| ((*name).to_owned(), entries.clone()))
            .collect()
    }

    #[test]
    fn an_unchanged_registry_plans_nothing() {
        let both = inventory(&[
            ("a", vec![tag("v1", "d1")]),
            ("b", vec![Entry::placeholder()]),
        ]);
        assert!(plan(&both, &both).is_empty());
    }

    #[test]
    fn new_changed_and_gone_repositories_are_told_apart() {
        let stored = inventory(&[
            ("same", vec![tag("v1", "d1")]),
            ("moved", vec![tag("v1", "d1")]),
            ("quiet", vec![tag("v1", "d1"), untagged("d0")]),
            ("gone", vec![tag("v1", "d1")]),
        ]);
        let listed = inventory(&[
            ("same", vec![tag("v1", "d1")]),
            ("moved", vec![tag("v1", "d2")]),
            ("quiet", vec![tag("v1", "d1")]),
            ("new", vec![Entry::placeholder()]),
        ]);
        assert_eq!(
            plan(&stored, &listed),
            Plan {
                discovered: vec!["moved".into(), "new".into()],
                rewritten: vec!["quiet".into()],
                removed: vec!["gone".into()],
            }
        );
    }

    #[test]
    fn a_repository_without_images_keeps_a_placeholder() {
        let listed = from_listing(vec![RepositoryListing {
            name: "empty".into(),
            images: Vec::new(),
        }]);
        assert_eq!(listed["empty"], vec![Entry::placeholder()]);
    }
}
