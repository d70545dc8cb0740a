//! The report as JSON: the [`ScanReport`] itself plus a severity summary,
//! so a pipeline can read counts without walking the findings.

use serde::Serialize;

use super::ScanReport;

#[derive(Serialize)]
struct Document<'a> {
    /// Bumped when a field changes meaning or disappears.
    schema: &'static str,
    summary: Summary,
    #[serde(flatten)]
    report: &'a ScanReport,
}

#[derive(Serialize)]
struct Summary {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    unknown: usize,
    not_covered: usize,
}

/// Pretty-printed JSON.
pub fn render(report: &ScanReport) -> String {
    let count = |s| report.findings.iter().filter(|f| f.severity == s).count();
    use crate::advisory::Severity::*;
    let document = Document {
        schema: "tagwarden.scan-report/v1",
        summary: Summary {
            critical: count(Critical),
            high: count(High),
            medium: count(Medium),
            low: count(Low),
            unknown: count(Unknown),
            not_covered: report.not_covered.len(),
        },
        report,
    };
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}
