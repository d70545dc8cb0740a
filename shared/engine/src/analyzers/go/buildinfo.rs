//! Finds the build information the Go linker writes into every binary.
//!
//! The linker puts a 32-byte header at the start of the `.go.buildinfo`
//! section: the magic `\xff Go buildinf:`, the pointer size, and flags.
//! Since Go 1.18 (flag bit 2) the toolchain version and the module
//! information follow the header inline, each as a varint length and the
//! bytes. Before that, the header held two pointers to Go string headers
//! elsewhere in the binary, which are followed through the ELF segments.
//!
//! A binary whose section headers were stripped still has the header at
//! the start of its first writable, non-executable segment, where Go's own
//! `debug/buildinfo` looks for it too. Only ELF is read: container images
//! for Windows and macOS binaries are out of scope.

use object::elf::PT_LOAD;
use object::read::elf::{ElfFile32, ElfFile64};
use object::read::{Object, ObjectSection, ObjectSegment};
use object::{FileKind, SegmentFlags};

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// The header sits on a 16-byte boundary.
const ALIGN: usize = 16;
/// How far into the data segment Go's own reader searches.
const SEARCH_LEN: usize = 64 * 1024;
/// No real module list comes near this; a larger length is corruption.
const MAX_STRING: u64 = 64 * 1024 * 1024;
/// ELF program header flags.
const PF_X: u32 = 1;
const PF_W: u32 = 2;

/// The two strings of a binary's build information, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawBuildInfo {
    /// `go1.21.3`, possibly followed by ` X:experiment`.
    pub(crate) go_version: String,
    /// The module lines (`path`, `mod`, `dep`, `=>`, `build`), framed by
    /// binary sentinels.
    pub(crate) modinfo: Vec<u8>,
}

/// Reads the build information of an ELF binary: `Ok(None)` when the
/// file is not a Go binary (or not an ELF file this reader understands),
/// `Err` with a reason when it is one whose build information cannot be
/// read.
pub(crate) fn read(binary: &[u8]) -> Result<Option<RawBuildInfo>, String> {
    match FileKind::parse(binary) {
        Ok(FileKind::Elf64) => match ElfFile64::<object::Endianness>::parse(binary) {
            Ok(elf) => read_from(&elf),
            Err(_) => Ok(None),
        },
        Ok(FileKind::Elf32) => match ElfFile32::<object::Endianness>::parse(binary) {
            Ok(elf) => read_from(&elf),
            Err(_) => Ok(None),
        },
        _ => Ok(None),
    }
}

fn read_from<'data>(elf: &impl Object<'data>) -> Result<Option<RawBuildInfo>, String> {
    let Some(header) = find_header(elf) else {
        return Ok(None);
    };
    let (ptr_size, flags) = (header[14] as usize, header[15]);
    let (go_version, modinfo) = if flags & 2 != 0 {
        let mut rest = &header[HEADER_LEN..];
        (inline_string(&mut rest)?, inline_string(&mut rest)?)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("build info names pointer size {ptr_size}"));
        }
        let big_endian = flags & 1 != 0;
        let pointer = |at: usize| read_pointer(&header[at..], ptr_size, big_endian);
        let version_at = pointer(16).ok_or("build info header truncated")?;
        let modinfo_at = pointer(16 + ptr_size).ok_or("build info header truncated")?;
        let string = |at| go_string(elf, at, ptr_size, big_endian);
        (string(version_at)?, string(modinfo_at)?)
    };
    Ok(Some(RawBuildInfo {
        go_version: String::from_utf8_lossy(go_version).into_owned(),
        modinfo: modinfo.to_vec(),
    }))
}

/// The bytes from the build info header to the end of its section or
/// segment.
fn find_header<'data>(elf: &impl Object<'data>) -> Option<&'data [u8]> {
    if let Some(section) = elf.section_by_name(".go.buildinfo") {
        let data = section.data().ok()?;
        return (data.starts_with(MAGIC) && data.len() >= HEADER_LEN).then_some(data);
    }
    let segment = elf.segments().find(|segment| {
        matches!(
            segment.flags(),
            SegmentFlags::Elf { p_type, p_flags }
                if p_type == PT_LOAD && p_flags.0 & (PF_X | PF_W) == PF_W
        )
    })?;
    let data = segment.data().ok()?;
    let searched = &data[..data.len().min(SEARCH_LEN)];
    let at = (0..searched.len())
        .step_by(ALIGN)
        .find(|&at| searched[at..].starts_with(MAGIC))?;
    (data.len() - at >= HEADER_LEN).then_some(&data[at..])
}

/// A varint-length-prefixed string, advancing `rest` past it.
fn inline_string<'data>(rest: &mut &'data [u8]) -> Result<&'data [u8], String> {
    let mut len = 0u64;
    let mut shift = 0;
    loop {
        let (&byte, tail) = rest.split_first().ok_or("build info string truncated")?;
        *rest = tail;
        len |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return Err("build info string length is not a varint".to_owned());
        }
    }
    if len > MAX_STRING || len as usize > rest.len() {
        return Err(format!(
            "build info string of {len} bytes runs past its section"
        ));
    }
    let (bytes, tail) = rest.split_at(len as usize);
    *rest = tail;
    Ok(bytes)
}

fn read_pointer(bytes: &[u8], size: usize, big_endian: bool) -> Option<u64> {
    let bytes = bytes.get(..size)?;
    let mut word = [0u8; 8];
    if big_endian {
        word[8 - size..].copy_from_slice(bytes);
        Some(u64::from_be_bytes(word))
    } else {
        word[..size].copy_from_slice(bytes);
        Some(u64::from_le_bytes(word))
    }
}

/// Follows a pointer to a Go string header (data pointer, length) and
/// reads the string it describes, as binaries before Go 1.18 require.
fn go_string<'data>(
    elf: &impl Object<'data>,
    at: u64,
    ptr_size: usize,
    big_endian: bool,
) -> Result<&'data [u8], String> {
    let unmapped = || format!("build info points at unmapped address {at:#x}");
    let string_header = bytes_at(elf, at, 2 * ptr_size as u64).ok_or_else(unmapped)?;
    let data = read_pointer(string_header, ptr_size, big_endian).ok_or_else(unmapped)?;
    let len =
        read_pointer(&string_header[ptr_size..], ptr_size, big_endian).ok_or_else(unmapped)?;
    if len > MAX_STRING {
        return Err(format!("build info string of {len} bytes at {at:#x}"));
    }
    bytes_at(elf, data, len).ok_or_else(unmapped)
}

fn bytes_at<'data>(elf: &impl Object<'data>, address: u64, size: u64) -> Option<&'data [u8]> {
    if size == 0 {
        return Some(&[]);
    }
    elf.segments()
        .find_map(|segment| segment.data_range(address, size).ok().flatten())
}
