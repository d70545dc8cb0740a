//! The dependency list `cargo auditable` embeds in Rust binaries: an ELF
//! section named `.dep-v0` holding zlib-compressed JSON,
//! `{"packages": [{"name", "version", "source", "kind", "dependencies",
//! "root"}], "format": 1}`.

use std::io::Read;

use flate2::read::ZlibDecoder;
use object::read::{Object, ObjectSection};
use serde::Deserialize;

const SECTION: &str = ".dep-v0";

/// cargo-auditable's own reader refuses more than 8 MiB of JSON; so do we,
/// rather than inflating a hostile section without bound.
const MAX_JSON: u64 = 8 * 1024 * 1024;

/// One crate compiled into (or used to build) the binary.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct AuditableCrate {
    pub(crate) name: String,
    pub(crate) version: String,
    /// `crates.io`, `git`, `local` or `registry`.
    #[serde(default)]
    pub(crate) source: String,
    /// `build` for build scripts' and proc macros' dependencies; absent
    /// (runtime) otherwise.
    #[serde(default)]
    pub(crate) kind: Option<String>,
}

impl AuditableCrate {
    /// True for crates only used while building: their code is not in
    /// the binary.
    pub(crate) fn is_build_only(&self) -> bool {
        self.kind.as_deref() == Some("build")
    }
}

#[derive(Debug, Deserialize)]
struct VersionInfo {
    packages: Vec<AuditableCrate>,
}

/// The crates listed in an ELF binary's `.dep-v0` section: `Ok(None)`
/// when the binary has no such section (not built with cargo auditable).
pub(crate) fn read(binary: &[u8]) -> Result<Option<Vec<AuditableCrate>>, String> {
    let Ok(file) = object::File::parse(binary) else {
        return Ok(None);
    };
    let Some(section) = file.section_by_name(SECTION) else {
        return Ok(None);
    };
    let compressed = section
        .data()
        .map_err(|e| format!("{SECTION} section unreadable: {e}"))?;
    parse_section(compressed).map(Some)
}

/// Inflates and parses the contents of a `.dep-v0` section.
pub(crate) fn parse_section(compressed: &[u8]) -> Result<Vec<AuditableCrate>, String> {
    let mut json = Vec::new();
    ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("{SECTION} section is not zlib data: {e}"))?;
    if json.len() as u64 > MAX_JSON {
        return Err(format!(
            "{SECTION} section inflates beyond {MAX_JSON} bytes"
        ));
    }
    let info: VersionInfo = serde_json::from_slice(&json)
        .map_err(|e| format!("{SECTION} section is not the expected JSON: {e}"))?;
    Ok(info.packages)
}
