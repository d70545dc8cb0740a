//! The rpm header format, as rpm stores one per installed package.
//!
//! A header is an index followed by a data store. The blob starts with two
//! big-endian `u32`s: the number of index entries and the size of the data
//! store. Each 16-byte entry holds a tag, a type, an offset into the store
//! and a count. Strings are NUL-terminated in the store; an epoch is one
//! big-endian `i32`. rpm's databases keep headers without the 8-byte magic
//! that opens a header inside a `.rpm` file; both forms are accepted.
//!
//! Only the tags the inventory needs are read. Region tags and signatures
//! are skipped, not verified: the database is the image's own record.

use std::fmt;

/// The tags read, from rpm's `rpmtag.h`.
pub(crate) const TAG_NAME: u32 = 1000;
pub(crate) const TAG_VERSION: u32 = 1001;
pub(crate) const TAG_RELEASE: u32 = 1002;
pub(crate) const TAG_EPOCH: u32 = 1003;
pub(crate) const TAG_ARCH: u32 = 1022;
pub(crate) const TAG_SOURCERPM: u32 = 1044;

/// Entry types, from rpm's `rpmtag.h`.
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_I18NSTRING: u32 = 9;

/// The magic and reserved bytes that precede a header in a `.rpm` file.
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];

/// rpm itself refuses headers beyond these sizes (`hdrchkTags`,
/// `hdrchkData`); so do we, before allocating anything.
const MAX_ENTRIES: usize = 0xffff;
const MAX_DATA: usize = 256 * 1024 * 1024;

/// The fields of one installed package's header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: String,
    pub(crate) epoch: Option<u32>,
    pub(crate) version: String,
    pub(crate) release: String,
    pub(crate) arch: Option<String>,
    /// File name of the source rpm, `openssl-3.0.7-24.el9.src.rpm`.
    pub(crate) source_rpm: Option<String>,
}

/// Why a header blob could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderError(String);

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn error(reason: impl Into<String>) -> HeaderError {
    HeaderError(reason.into())
}

/// Reads the package fields from one header blob. A header without a
/// name, version or release is refused: it describes no package.
pub(crate) fn parse(blob: &[u8]) -> Result<Header, HeaderError> {
    let blob = match blob.get(..4) {
        Some(magic) if magic == HEADER_MAGIC => &blob[8.min(blob.len())..],
        _ => blob,
    };
    let entries = be_u32(blob, 0).ok_or_else(|| error("shorter than its 8-byte preamble"))?;
    let data_len = be_u32(blob, 4).ok_or_else(|| error("shorter than its 8-byte preamble"))?;
    let (entries, data_len) = (entries as usize, data_len as usize);
    if entries > MAX_ENTRIES || data_len > MAX_DATA {
        return Err(error(format!(
            "implausible size: {entries} entries, {data_len} data bytes"
        )));
    }
    let store_start = 8 + entries * 16;
    let store = blob
        .get(store_start..store_start + data_len)
        .ok_or_else(|| error("truncated: index or data store runs past the end"))?;

    let mut header = Header::default();
    for i in 0..entries {
        let at = 8 + i * 16;
        let field = |n: usize| be_u32(blob, at + 4 * n).unwrap_or(0);
        let (tag, kind, offset) = (field(0), field(1), field(2) as usize);
        match tag {
            TAG_NAME => header.name = string(store, kind, offset, tag)?,
            TAG_VERSION => header.version = string(store, kind, offset, tag)?,
            TAG_RELEASE => header.release = string(store, kind, offset, tag)?,
            TAG_ARCH => header.arch = Some(string(store, kind, offset, tag)?),
            TAG_SOURCERPM => header.source_rpm = Some(string(store, kind, offset, tag)?),
            TAG_EPOCH => header.epoch = Some(int32(store, kind, offset)?),
            _ => {}
        }
    }
    for (field, value) in [
        ("NAME", &header.name),
        ("VERSION", &header.version),
        ("RELEASE", &header.release),
    ] {
        if value.is_empty() {
            return Err(error(format!("no {field} tag")));
        }
    }
    Ok(header)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
}

/// A NUL-terminated string at `offset` of the data store.
fn string(store: &[u8], kind: u32, offset: usize, tag: u32) -> Result<String, HeaderError> {
    if kind != TYPE_STRING && kind != TYPE_I18NSTRING {
        return Err(error(format!("tag {tag} has type {kind}, not a string")));
    }
    let rest = store
        .get(offset..)
        .ok_or_else(|| error(format!("tag {tag} points past the data store")))?;
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| error(format!("tag {tag} is not NUL-terminated")))?;
    String::from_utf8(rest[..end].to_vec()).map_err(|_| error(format!("tag {tag} is not UTF-8")))
}

fn int32(store: &[u8], kind: u32, offset: usize) -> Result<u32, HeaderError> {
    if kind != TYPE_INT32 {
        return Err(error(format!("EPOCH has type {kind}, not int32")));
    }
    be_u32(store, offset).ok_or_else(|| error("EPOCH points past the data store"))
}

/// Splits a source rpm file name, `openssl-3.0.7-24.el9.src.rpm`, into
/// the source package's name and its `version-release`. Name, version and
/// release are separated by the last two hyphens, as rpm names its files.
pub(crate) fn split_source_rpm(file: &str) -> Option<(&str, &str)> {
    let stem = file.strip_suffix(".rpm")?;
    let (nvr, _arch) = stem.rsplit_once('.')?;
    let (name_version, release) = nvr.rsplit_once('-')?;
    let (name, version) = name_version.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name, &nvr[name.len() + 1..]))
}

/// Builds a header blob as rpm stores it, for tests: `strings` are
/// `(tag, value)` pairs, `epoch` an optional `EPOCH` entry.
#[cfg(test)]
pub(crate) fn build(strings: &[(u32, &str)], epoch: Option<u32>) -> Vec<u8> {
    let mut index = Vec::new();
    let mut store = Vec::new();
    let mut count = 0u32;
    if let Some(epoch) = epoch {
        index.extend([TAG_EPOCH, TYPE_INT32, 0, 1].map(u32::to_be_bytes).concat());
        store.extend(epoch.to_be_bytes());
        count += 1;
    }
    for &(tag, value) in strings {
        let offset = u32::try_from(store.len()).expect("small test header");
        index.extend([tag, TYPE_STRING, offset, 1].map(u32::to_be_bytes).concat());
        store.extend(value.as_bytes());
        store.push(0);
        count += 1;
    }
    let data_len = u32::try_from(store.len()).expect("small test header");
    let mut blob = [count, data_len].map(u32::to_be_bytes).concat();
    blob.extend(index);
    blob.extend(store);
    blob
}
