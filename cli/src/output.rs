//! How results are shown: a table for people by default, `--output json`
//! for scripts, and every error as one line on stderr.
//!
//! Tables have no borders and no wrapping, so they read well in a
//! terminal and stay one record per line for `grep` and `awk`.

use std::io::Write as _;

use chrono::{DateTime, Utc};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde::Serialize;

/// The `--output` choice of every command that talks to a service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// The records as pretty-printed JSON, for scripts.
    Json,
}

/// A result that can be shown either way.
pub(crate) trait Render: Serialize {
    /// The text shown for `--output table`.
    fn table(&self) -> String;
}

/// One line of a listing.
pub(crate) trait Row: Serialize {
    /// Column titles, in the order of [`Row::cells`].
    const HEADER: &'static [&'static str];
    /// The row's cells as shown in the table.
    fn cells(&self) -> Vec<String>;
}

impl<T: Row> Render for Vec<T> {
    fn table(&self) -> String {
        table(T::HEADER, self.iter().map(Row::cells))
    }
}

/// The text of `value` in `format`, ending with a newline.
pub(crate) fn render<T: Render + ?Sized>(value: &T, format: Format) -> anyhow::Result<String> {
    let mut text = match format {
        Format::Table => value.table(),
        Format::Json => serde_json::to_string_pretty(value)?,
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Writes `value` in `format` to stdout.
pub(crate) fn show<T: Render + ?Sized>(value: &T, format: Format) -> anyhow::Result<()> {
    print(&render(value, format)?)
}

/// Writes `text` to stdout as it is.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    Ok(out.flush()?)
}

/// A borderless table: a header line, then one line per row, columns two
/// spaces apart, no trailing spaces.
pub(crate) fn table<I>(header: &[&str], rows: I) -> String
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for row in rows {
        table.add_row(row);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
        column.set_cell_alignment(CellAlignment::Left);
    }
    trim_lines(&table.to_string())
}

/// One record as two columns, field and value (the `show` commands).
pub(crate) fn record(fields: &[(&str, String)]) -> String {
    let width = fields.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (name, value) in fields {
        let line = format!("{name:<width$}  {value}");
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

fn trim_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A proto timestamp as a time, when it is set and in range.
pub(crate) fn time(ts: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    let ts = ts?;
    DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).ok()?)
}

/// A time for a table cell, to the second, in UTC; `-` when unset.
pub(crate) fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(dash, |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// `-`, the cell of a value that is not set.
pub(crate) fn dash() -> String {
    "-".to_owned()
}

/// `value`, or `-` when it is empty.
pub(crate) fn or_dash(value: &str) -> String {
    if value.is_empty() {
        dash()
    } else {
        value.to_owned()
    }
}

/// A proto enum's name without its type prefix, lower case:
/// `SCAN_STATUS_QUEUED` with prefix `SCAN_STATUS_` is `queued`.
pub(crate) fn enum_name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix)
        .unwrap_or(full)
        .to_ascii_lowercase()
}

/// The line printed for a failed command: `error: <CODE>: <message>` for a
/// service's answer, `error: <what went wrong>` for anything else. A
/// message with line breaks is folded onto the one line.
pub(crate) fn error_line(err: &anyhow::Error) -> String {
    let line = match err.downcast_ref::<tonic::Status>() {
        Some(status) => format!("error: {}: {}", code_name(status.code()), status.message()),
        None => format!("error: {err:#}"),
    };
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical gRPC name of `code`, as in the gRPC spec and `grpcurl`.
pub(crate) fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_aligned_without_borders_or_trailing_spaces() {
        let rows = vec![
            vec!["acme/app".to_owned(), "latest".to_owned()],
            vec!["x".to_owned(), String::new()],
        ];
        assert_eq!(
            table(&["IMAGE", "TAG"], rows),
            "IMAGE     TAG\nacme/app  latest\nx\n"
        );
    }

    #[test]
    fn an_empty_listing_is_its_header() {
        assert_eq!(table(&["ID", "NAME"], Vec::new()), "ID  NAME\n");
    }

    #[test]
    fn records_align_their_values() {
        let text = record(&[("id", "s1".to_owned()), ("status", "queued".to_owned())]);
        assert_eq!(text, "id      s1\nstatus  queued\n");
    }

    #[test]
    fn service_errors_are_one_line_with_the_code() {
        let err = anyhow::Error::from(tonic::Status::not_found("image acme/x\nis unknown"));
        assert_eq!(
            error_line(&err),
            "error: NOT_FOUND: image acme/x is unknown"
        );
        let err = err.context("while adding targets");
        assert_eq!(
            error_line(&err),
            "error: NOT_FOUND: image acme/x is unknown"
        );
    }

    #[test]
    fn other_errors_keep_their_chain() {
        let err = anyhow::anyhow!("no such file").context("failed to read cli.toml");
        assert_eq!(
            error_line(&err),
            "error: failed to read cli.toml: no such file"
        );
    }

    #[test]
    fn times_are_utc_to_the_second() {
        let ts = prost_types::Timestamp {
            seconds: 1_772_366_400,
            nanos: 500,
        };
        assert_eq!(when(time(Some(&ts))), "2026-03-01 12:00:00 UTC");
        assert_eq!(when(time(None)), "-");
    }

    #[test]
    fn enum_names_lose_their_prefix() {
        assert_eq!(enum_name("SCAN_STATUS_QUEUED", "SCAN_STATUS_"), "queued");
        assert_eq!(enum_name("SEVERITY_CRITICAL", "SEVERITY_"), "critical");
    }
}
