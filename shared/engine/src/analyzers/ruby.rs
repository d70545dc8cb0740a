//! Ruby gems, from the specifications RubyGems keeps for every installed
//! gem (`…/specifications/*.gemspec`, default gems in
//! `specifications/default/`). This covers gems installed by `gem` and
//! Bundler (`/usr/local/bundle`), Ruby's bundled and default gems, and the
//! gems Debian's `ruby-*` packages register under
//! `/usr/share/rubygems-integration` (those are reported both as Debian
//! packages and as gems, as each ecosystem's advisories name them).
//!
//! What the matcher reads: the gem's name and version exactly as the
//! specification states them (`1.13.10`, `7.0.4.3`, `2.0.0.pre1`).

mod gemspec;

use crate::analyzer::{AnalyzeError, Analyzer, FileInput, FileMeta, Findings};
use crate::inventory::{Package, PackageKind};

/// Reads installed gems' specifications.
#[derive(Debug, Default, Clone, Copy)]
pub struct RubyAnalyzer;

impl Analyzer for RubyAnalyzer {
    fn name(&self) -> &'static str {
        "ruby"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.path.ends_with(".gemspec") && file.path.contains("/specifications/")
    }

    fn analyze(&self, file: &FileInput<'_>) -> Result<Findings, AnalyzeError> {
        // Gemspecs are UTF-8 Ruby, but some carry binary bytes in comments
        // (Ruby's own `digest` gem lists extension paths NUL-separated).
        let text = String::from_utf8_lossy(file.contents);
        let Some(gem) = gemspec::parse(&text) else {
            return Ok(Findings {
                warnings: vec![format!(
                    "{}: no literal gem name and version found; gem not reported",
                    file.path
                )],
                ..Findings::default()
            });
        };
        Ok(Findings {
            packages: vec![Package {
                kind: PackageKind::Gem,
                name: gem.name,
                version: gem.version,
                source_name: None,
                source_version: None,
                arch: None,
                path: file.path.to_owned(),
                layer: None,
            }],
            ..Findings::default()
        })
    }
}

#[cfg(test)]
mod tests;
