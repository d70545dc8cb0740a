//! Severity: a CVSS vector computed to a base score and rating, else the
//! record's own word for it, else unknown.
//!
//! Scores are computed by the RustSec `cvss` crate from the vector, never
//! copied from text, so two records with the same vector always rate the
//! same. Where a record carries both, CVSS v4 is preferred over v3.x: it is
//! the newer assessment. CVSS v2 vectors are not used (no current feed
//! relies on them alone, and their ratings are not comparable).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::entry::{Advisory, SeverityVector};

/// A finding's severity, the five levels every scanner user knows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No rating is known.
    #[default]
    Unknown,
    /// CVSS 0.1–3.9 (0.0 is shown as low too).
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// Every level, highest first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];

    /// The lower-case name (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Reads a feed's own severity word: GHSA's `MODERATE`, Red Hat's
    /// `Important`, Ubuntu's `negligible`, or our own names.
    pub fn from_word(word: &str) -> Option<Severity> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" | "negligible" | "none" => Severity::Low,
            "unknown" => Severity::Unknown,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::from_word(s)
            .ok_or_else(|| format!("unknown severity {s:?} (critical, high, medium, low, unknown)"))
    }
}

/// Where a rating came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingSource {
    /// Computed from a CVSS v3.0/v3.1 vector.
    CvssV3,
    /// Computed from a CVSS v4.0 vector.
    CvssV4,
    /// The record's own severity word.
    Advisory,
}

/// A severity with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// The level.
    pub severity: Severity,
    /// The CVSS base score, when computed from a vector.
    pub score: Option<f64>,
    /// The vector it was computed from.
    pub vector: Option<String>,
    /// Which kind of evidence.
    pub source: RatingSource,
}

/// Rates one CVSS vector, or `None` if it is not a v3.x/v4 vector the
/// calculator accepts.
pub fn rate_vector(vector: &SeverityVector) -> Option<Rating> {
    let text = vector.score.trim();
    if text.starts_with("CVSS:4.0/") {
        let parsed = cvss::v4::Vector::from_str(text).ok()?;
        let value = parsed.score().value();
        return Some(Rating {
            severity: from_cvss(parsed.score().severity()),
            score: Some(value),
            vector: Some(text.to_owned()),
            source: RatingSource::CvssV4,
        });
    }
    if text.starts_with("CVSS:3.") {
        let parsed = cvss::v3::Vector::from_str(text).ok()?;
        let score = parsed.score();
        return Some(Rating {
            severity: from_cvss(score.severity()),
            score: Some(score.value()),
            vector: Some(text.to_owned()),
            source: RatingSource::CvssV3,
        });
    }
    None
}

fn from_cvss(severity: cvss::Severity) -> Severity {
    match severity {
        cvss::Severity::Critical => Severity::Critical,
        cvss::Severity::High => Severity::High,
        cvss::Severity::Medium => Severity::Medium,
        cvss::Severity::Low | cvss::Severity::None => Severity::Low,
    }
}

/// The rating of one advisory: its best CVSS vector (v4 over v3, then the
/// highest score), else its own word, else `None` (unknown).
pub fn rate_advisory(advisory: &Advisory) -> Option<Rating> {
    let computed = advisory.severity.iter().filter_map(rate_vector);
    let best = computed.max_by(|a, b| {
        let key = |r: &Rating| (r.source == RatingSource::CvssV4, r.score.unwrap_or(0.0));
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    best.or_else(|| {
        let word = advisory.own_severity.as_deref()?;
        Some(Rating {
            severity: Severity::from_word(word)?,
            score: None,
            vector: None,
            source: RatingSource::Advisory,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(score: &str) -> SeverityVector {
        SeverityVector {
            kind: "CVSS_V3".into(),
            score: score.into(),
        }
    }

    #[test]
    fn cvss_vectors_are_computed_to_scores() {
        let r = rate_vector(&vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")).unwrap();
        assert_eq!((r.severity, r.score), (Severity::Critical, Some(9.8)));
        let r = rate_vector(&vector("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L")).unwrap();
        assert_eq!((r.severity, r.score), (Severity::Medium, Some(5.6)));
        let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        let r = rate_vector(&vector(v4)).unwrap();
        assert_eq!((r.severity, r.score), (Severity::Critical, Some(9.3)));
        assert_eq!(rate_vector(&vector("AV:N/AC:L/Au:N/C:P/I:P/A:P")), None);
    }

    #[test]
    fn own_words_are_read() {
        assert_eq!(Severity::from_word("MODERATE"), Some(Severity::Medium));
        assert_eq!(Severity::from_word("Important"), Some(Severity::High));
        assert_eq!(Severity::from_word("whatever"), None);
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Unknown);
    }
}
