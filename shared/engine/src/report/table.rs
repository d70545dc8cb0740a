//! A table for people at a terminal: one line per finding, worst first,
//! then a summary and the packages that could not be checked (grouped by
//! ecosystem, so 2,000 packages of an unsupported release take one line).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::ScanReport;

/// Renders aligned columns.
pub fn render(report: &ScanReport) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "PACKAGE".into(),
        "INSTALLED".into(),
        "VULNERABILITY".into(),
        "SEVERITY".into(),
        "FIXED IN".into(),
        "ALIASES".into(),
    ]];
    let mut findings: Vec<_> = report.findings.iter().collect();
    findings.sort_by(|a, b| {
        (b.severity, &a.package.name, &a.id).cmp(&(a.severity, &b.package.name, &b.id))
    });
    for f in findings {
        rows.push([
            f.package.name.clone(),
            f.package.version.clone(),
            f.id.clone(),
            f.severity.to_string(),
            f.fixed_version.clone().unwrap_or_else(|| "-".into()),
            f.aliases.join(","),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} (advisories {})", report.target, report.database);
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let counts: Vec<String> = report
        .counts()
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    let _ = writeln!(
        out,
        "\n{} findings ({}) in {} checked packages",
        report.findings.len(),
        counts.join(", "),
        report.packages_checked
    );
    let mut uncovered: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &report.not_covered {
        *uncovered
            .entry(n.ecosystem.as_deref().unwrap_or(&n.reason))
            .or_default() += 1;
    }
    for (what, count) in uncovered {
        let _ = writeln!(
            out,
            "not covered: {count} packages ({what}): vulnerabilities unknown"
        );
    }
    out
}
