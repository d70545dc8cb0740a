//! The operating system an image is built on.
//!
//! `/etc/os-release` first, then `/usr/lib/os-release` (where
//! `/etc/os-release` usually points); when neither exists, the
//! distribution's own release file: `/etc/alpine-release` (`3.18.1`) or
//! `/etc/debian_version` (`12.5`, or `trixie/sid` on testing). Ubuntu also
//! ships `/etc/debian_version`, which is why it comes last: it only speaks
//! when nothing better does. The engine keeps the candidate from the most
//! preferred file still present in the final filesystem ([`preference`]).

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::OsRelease;

/// The files read, most trusted first.
const FILES: [&str; 4] = [
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/debian_version",
];

/// Reads OS release files.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsReleaseAnalyzer;

impl Analyzer for OsReleaseAnalyzer {
    fn name(&self) -> &'static str {
        "os-release"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        FILES.contains(&file.path)
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let text = String::from_utf8_lossy(file.contents);
        let os = match file.path {
            "/etc/alpine-release" => parse_alpine_release(&text),
            "/etc/debian_version" => parse_debian_version(&text),
            _ => parse_os_release(&text),
        };
        let warnings = match os {
            Some(_) => Vec::new(),
            None => vec![format!(
                "os-release: {} names no operating system",
                file.path
            )],
        };
        Ok(Findings {
            packages: Vec::new(),
            os,
            warnings,
        })
    }
}

/// How much to trust an OS identity read from `path`: lower wins. `None`
/// for files this analyzer does not read.
pub fn preference(path: &str) -> Option<usize> {
    FILES.iter().position(|f| *f == path)
}

/// Parses the `os-release(5)` format: `KEY=value` lines with shell-style
/// quoting. Lines that are not assignments are ignored (real files carry
/// comments, and copies pasted from a terminal carry a prompt line).
/// `None` when there is no `ID`.
pub fn parse_os_release(text: &str) -> Option<OsRelease> {
    let mut os = OsRelease::default();
    for line in text.lines() {
        let Some((key, raw)) = line.trim().split_once('=') else {
            continue;
        };
        if !key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let value = unquote(raw.trim());
        let set = (!value.is_empty()).then(|| value.clone());
        match key {
            "ID" => os.id = value.to_ascii_lowercase(),
            "VERSION_ID" => os.version_id = set,
            "VERSION_CODENAME" => os.version_codename = set,
            "ID_LIKE" => os.id_like = value.split_whitespace().map(str::to_owned).collect(),
            "PRETTY_NAME" => os.pretty_name = set,
            _ => {}
        }
    }
    (!os.id.is_empty()).then_some(os)
}

/// Removes one level of shell quoting: `"a \"b\""`, `'a b'` or a bare word.
fn unquote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    if raw.len() >= 2 && bytes[0] == b'\'' && bytes[raw.len() - 1] == b'\'' {
        return raw[1..raw.len() - 1].to_owned();
    }
    let inner = if raw.len() >= 2 && bytes[0] == b'"' && bytes[raw.len() - 1] == b'"' {
        &raw[1..raw.len() - 1]
    } else {
        raw
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// `/etc/alpine-release`: the release number alone (`3.18.1`).
pub fn parse_alpine_release(text: &str) -> Option<OsRelease> {
    let version = text.lines().next()?.trim();
    (!version.is_empty()).then(|| OsRelease {
        id: "alpine".to_owned(),
        version_id: Some(version.to_owned()),
        ..OsRelease::default()
    })
}

/// `/etc/debian_version`: a point release (`12.5`, reported as `12` like
/// os-release's `VERSION_ID`) or, on testing and unstable, `codename/sid`.
pub fn parse_debian_version(text: &str) -> Option<OsRelease> {
    let line = text.lines().next()?.trim();
    if line.is_empty() {
        return None;
    }
    let mut os = OsRelease {
        id: "debian".to_owned(),
        ..OsRelease::default()
    };
    if line.starts_with(|c: char| c.is_ascii_digit()) {
        os.version_id = line.split('.').next().map(str::to_owned);
        os.pretty_name = Some(format!("Debian GNU/Linux {line}"));
    } else {
        os.version_codename = line.split('/').next().map(str::to_owned);
    }
    Some(os)
}

#[cfg(test)]
mod tests;
