//! Alpine packages from apk's database, `/lib/apk/db/installed`.
//!
//! The database is blocks of `X:value` lines, one block per package,
//! separated by blank lines. The analyzer reads `P` (name), `V` (version),
//! `o` (origin: the source package, which Alpine advisories name) and `A`
//! (architecture); file lists and checksums are skipped. Newer apk keeps
//! the same file under `/usr/lib/apk/db/` on merged-/usr systems, so both
//! places are read.

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::{Package, PackageKind};

const DATABASES: [&str; 2] = ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"];

/// Reads apk's installed database.
#[derive(Debug, Default, Clone, Copy)]
pub struct ApkAnalyzer;

impl Analyzer for ApkAnalyzer {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        DATABASES.contains(&file.path)
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        let parsed = parse_installed(&String::from_utf8_lossy(file.contents));
        Ok(Findings {
            packages: parsed.packages,
            os: None,
            warnings: parsed
                .skipped
                .into_iter()
                .map(|reason| format!("apk: {}: {reason}", file.path))
                .collect(),
        })
    }
}

/// What an apk database held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedInstalled {
    /// Packages in file order; `path` and `layer` left empty.
    pub packages: Vec<Package>,
    /// One message per block that lacked a name or a version.
    pub skipped: Vec<String>,
}

/// Parses `/lib/apk/db/installed`.
pub fn parse_installed(text: &str) -> ParsedInstalled {
    let mut parsed = ParsedInstalled::default();
    let mut block = Block::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            block.finish(&mut parsed);
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if block.line == 0 {
            block.line = index + 1;
        }
        let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        match key {
            "P" => block.name = value,
            "V" => block.version = value,
            "o" => block.origin = value,
            "A" => block.arch = value,
            _ => {}
        }
    }
    block.finish(&mut parsed);
    parsed
}

/// The fields of one package block seen so far.
#[derive(Debug, Default)]
struct Block {
    line: usize,
    name: Option<String>,
    version: Option<String>,
    origin: Option<String>,
    arch: Option<String>,
}

impl Block {
    fn finish(&mut self, parsed: &mut ParsedInstalled) {
        let block = std::mem::take(self);
        if block.line == 0 {
            return;
        }
        match (block.name, block.version) {
            (Some(name), Some(version)) => parsed.packages.push(Package {
                kind: PackageKind::Apk,
                name,
                version,
                source_name: block.origin,
                source_version: None,
                arch: block.arch,
                path: String::new(),
                layer: None,
            }),
            (name, _) => parsed.skipped.push(format!(
                "line {}: package block without {} (P:{})",
                block.line,
                if name.is_none() {
                    "a name"
                } else {
                    "a version"
                },
                name.as_deref().unwrap_or("?"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_version_origin_arch() {
        let text = "C:Q1abc=\nP:libcrypto1.1\nV:1.1.1k-r0\nA:x86_64\no:openssl\nF:lib\nR:libcrypto.so.1.1\n\n\
                    P:musl\nV:1.1.22-r4\nA:x86_64\no:musl\n";
        let parsed = parse_installed(text);
        assert!(parsed.skipped.is_empty());
        let got: Vec<_> = parsed
            .packages
            .iter()
            .map(|p| {
                (
                    &*p.name,
                    &*p.version,
                    p.source_name.as_deref(),
                    p.arch.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("libcrypto1.1", "1.1.1k-r0", Some("openssl"), Some("x86_64")),
                ("musl", "1.1.22-r4", Some("musl"), Some("x86_64")),
            ]
        );
    }

    #[test]
    fn a_block_without_version_is_reported() {
        let parsed = parse_installed("\n\nP:x\nA:x86_64\n");
        assert!(parsed.packages.is_empty());
        assert_eq!(
            parsed.skipped,
            ["line 3: package block without a version (P:x)"]
        );
    }

    #[test]
    fn wants_both_database_locations() {
        let meta = |path| FileMeta {
            path,
            size: 1,
            mode: 0o644,
        };
        assert!(ApkAnalyzer.wants(&meta("/lib/apk/db/installed")));
        assert!(ApkAnalyzer.wants(&meta("/usr/lib/apk/db/installed")));
        assert!(!ApkAnalyzer.wants(&meta("/lib/apk/db/scripts.tar")));
    }
}
