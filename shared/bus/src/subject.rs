//! Every stream and subject name, in one place.
//!
//! Production uses the names in DESIGN.md exactly. A [`Namespace`] prefixes
//! subjects and stream names so that tests (or two deployments sharing one
//! NATS account) never see each other's messages.

use std::fmt;

use crate::Event;

/// A prefix for subjects and stream names; empty means none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace(String);

impl Namespace {
    /// A namespace from a prefix of letters, digits, `-` and `_`.
    ///
    /// # Panics
    /// On any other character: a prefix comes from config or a test, and
    /// a wrong one would silently route events nowhere.
    pub fn new(prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        assert!(
            prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "bus namespace {prefix:?} may only hold letters, digits, '-' and '_'"
        );
        Self(prefix)
    }

    /// The full subject for a subject pattern such as `scans.>`.
    pub fn subject(&self, subject: &str) -> String {
        if self.0.is_empty() {
            subject.to_owned()
        } else {
            format!("{}.{subject}", self.0)
        }
    }

    /// The full name of a stream.
    pub fn stream(&self, stream: Stream) -> String {
        if self.0.is_empty() {
            stream.name().to_owned()
        } else {
            format!("{}_{}", self.0.to_ascii_uppercase(), stream.name())
        }
    }

    /// The subject as the contract names it, with this namespace removed.
    pub fn strip<'a>(&self, subject: &'a str) -> &'a str {
        if self.0.is_empty() {
            return subject;
        }
        subject
            .strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(subject)
    }
}

/// The streams, one per producing service, plus the dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Images found and gone, from discovery.
    Discovery,
    /// Targets created and deleted, from licensing.
    Targets,
    /// Digest changes, from the tag watcher.
    Tags,
    /// Scan requests (scheduler) and results (scanner).
    Scans,
    /// Advisory database updates, from the scanner.
    VulnDb,
    /// Messages no handler could process, kept for an operator.
    DeadLetter,
}

impl Stream {
    /// Every stream, in declaration order.
    pub const ALL: [Stream; 6] = [
        Stream::Discovery,
        Stream::Targets,
        Stream::Tags,
        Stream::Scans,
        Stream::VulnDb,
        Stream::DeadLetter,
    ];

    /// Stream name without namespace.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Discovery => "DISCOVERY",
            Stream::Targets => "TARGETS",
            Stream::Tags => "TAGS",
            Stream::Scans => "SCANS",
            Stream::VulnDb => "VULNDB",
            Stream::DeadLetter => "DEADLETTER",
        }
    }

    /// The subject pattern the stream captures, without namespace.
    pub fn subjects(self) -> &'static str {
        match self {
            Stream::Discovery => "discovery.>",
            Stream::Targets => "targets.>",
            Stream::Tags => "tags.>",
            Stream::Scans => "scans.>",
            Stream::VulnDb => "vulndb.>",
            Stream::DeadLetter => DEAD_LETTER_PREFIX_PATTERN,
        }
    }
}

/// Dead letters are published on `deadletter.<original subject>`.
pub(crate) const DEAD_LETTER_PREFIX: &str = "deadletter";
const DEAD_LETTER_PREFIX_PATTERN: &str = "deadletter.>";

/// The subject of each event kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// `discovery.image.discovered`
    ImageDiscovered,
    /// `discovery.image.removed`
    ImageRemoved,
    /// `targets.created`
    TargetCreated,
    /// `targets.deleted`
    TargetDeleted,
    /// `tags.digest_changed`
    DigestChanged,
    /// `scans.requested`
    ScanRequested,
    /// `scans.completed`
    ScanCompleted,
    /// `scans.failed`
    ScanFailed,
    /// `vulndb.updated`
    VulnDbUpdated,
}

impl Subject {
    /// The subject without namespace.
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::ImageDiscovered => "discovery.image.discovered",
            Subject::ImageRemoved => "discovery.image.removed",
            Subject::TargetCreated => "targets.created",
            Subject::TargetDeleted => "targets.deleted",
            Subject::DigestChanged => "tags.digest_changed",
            Subject::ScanRequested => "scans.requested",
            Subject::ScanCompleted => "scans.completed",
            Subject::ScanFailed => "scans.failed",
            Subject::VulnDbUpdated => "vulndb.updated",
        }
    }

    /// The stream that stores this subject.
    pub fn stream(self) -> Stream {
        match self {
            Subject::ImageDiscovered | Subject::ImageRemoved => Stream::Discovery,
            Subject::TargetCreated | Subject::TargetDeleted => Stream::Targets,
            Subject::DigestChanged => Stream::Tags,
            Subject::ScanRequested | Subject::ScanCompleted | Subject::ScanFailed => Stream::Scans,
            Subject::VulnDbUpdated => Stream::VulnDb,
        }
    }

    /// The subject an event is published on.
    pub fn of(event: &Event) -> Subject {
        match event {
            Event::ImageDiscovered(_) => Subject::ImageDiscovered,
            Event::ImageRemoved(_) => Subject::ImageRemoved,
            Event::TargetCreated(_) => Subject::TargetCreated,
            Event::TargetDeleted(_) => Subject::TargetDeleted,
            Event::DigestChanged(_) => Subject::DigestChanged,
            Event::ScanRequested(_) => Subject::ScanRequested,
            Event::ScanCompleted(_) => Subject::ScanCompleted,
            Event::ScanFailed(_) => Subject::ScanFailed,
            Event::VulndbUpdated(_) => Subject::VulnDbUpdated,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subject_falls_inside_its_stream() {
        let all = [
            Subject::ImageDiscovered,
            Subject::ImageRemoved,
            Subject::TargetCreated,
            Subject::TargetDeleted,
            Subject::DigestChanged,
            Subject::ScanRequested,
            Subject::ScanCompleted,
            Subject::ScanFailed,
            Subject::VulnDbUpdated,
        ];
        for subject in all {
            let prefix = subject.stream().subjects().trim_end_matches('>');
            assert!(
                subject.as_str().starts_with(prefix),
                "{subject} outside {prefix}"
            );
        }
    }

    #[test]
    fn namespace_prefixes_and_strips() {
        let ns = Namespace::new("t42");
        assert_eq!(ns.subject("scans.requested"), "t42.scans.requested");
        assert_eq!(ns.stream(Stream::Scans), "T42_SCANS");
        assert_eq!(ns.strip("t42.scans.requested"), "scans.requested");
        let none = Namespace::default();
        assert_eq!(none.subject("scans.requested"), "scans.requested");
        assert_eq!(none.stream(Stream::Tags), "TAGS");
    }

    #[test]
    #[should_panic(expected = "may only hold")]
    fn namespace_rejects_dots() {
        Namespace::new("a.b");
    }
}
