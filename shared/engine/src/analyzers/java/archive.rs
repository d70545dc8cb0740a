//! Walks a Java archive (jar, war, ear) and the archives nested in it.
//!
//! Each archive is named by its `pom.properties` files: usually one, the
//! archive's own; several in a shaded or "uber" jar, one per bundled
//! library. Only an archive with none falls back to its manifest. Archives
//! inside archives (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, an ear's
//! wars) are read the same way, down to [`MAX_DEPTH`] levels, and their
//! packages are recorded at `outer.war!/WEB-INF/lib/inner.jar`.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::metadata::{self, Coordinates};

/// Archive levels read, the outer one included: real applications nest
/// at most an ear holding wars holding jars.
const MAX_DEPTH: usize = 3;
/// Metadata files are a few hundred bytes; anything far larger is not
/// one, and is not inflated.
const MAX_METADATA: u64 = 1024 * 1024;
/// A nested archive is inflated into memory to be read; beyond this size
/// it is skipped with a warning rather than risking the scanner's memory.
const MAX_NESTED: u64 = 256 * 1024 * 1024;

const ARCHIVE_SUFFIXES: [&str; 4] = [".jar", ".war", ".ear", ".par"];

/// Coordinates found, each with the archive path they came from.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub(crate) found: Vec<(String, Coordinates)>,
    pub(crate) warnings: Vec<String>,
}

/// Reads an archive and everything nested in it. Fails only when the
/// outer archive itself is not a readable zip file; problems with nested
/// archives become warnings.
pub(crate) fn walk(path: &str, bytes: &[u8]) -> Result<Walk, String> {
    let mut walk = Walk::default();
    read_archive(path, bytes, 0, &mut walk)?;
    Ok(walk)
}

pub(crate) fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ARCHIVE_SUFFIXES
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

fn read_archive(path: &str, bytes: &[u8], depth: usize, walk: &mut Walk) -> Result<(), String> {
    let mut zip =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a zip archive: {e}"))?;
    let names: Vec<String> = zip
        .file_names_raw()
        .map(|raw| String::from_utf8_lossy(raw).into_owned())
        .collect();

    let mut own = Vec::new();
    for (index, name) in names.iter().enumerate() {
        if is_pom_properties(name) {
            let text = read_entry(&mut zip, index, MAX_METADATA)?;
            own.extend(metadata::pom_properties(&String::from_utf8_lossy(&text)));
        }
    }
    let manifest = names
        .iter()
        .position(|n| n.eq_ignore_ascii_case("META-INF/MANIFEST.MF"));
    if own.is_empty()
        && let Some(index) = manifest
    {
        let text = read_entry(&mut zip, index, MAX_METADATA)?;
        let file_name = path.rsplit(['/', '!']).next().unwrap_or(path);
        own.extend(metadata::manifest(
            &String::from_utf8_lossy(&text),
            file_name,
        ));
    }
    walk.found
        .extend(own.into_iter().map(|c| (path.to_owned(), c)));

    for (index, name) in names.iter().enumerate() {
        if !is_archive_name(name) || name.ends_with('/') {
            continue;
        }
        let inner_path = format!("{path}!/{name}");
        if depth + 1 >= MAX_DEPTH {
            walk.warnings.push(format!(
                "{inner_path}: archives nested more than {MAX_DEPTH} deep are not read"
            ));
            continue;
        }
        let inner = match read_entry(&mut zip, index, MAX_NESTED) {
            Ok(inner) => inner,
            Err(e) => {
                walk.warnings.push(format!("{inner_path}: {e}"));
                continue;
            }
        };
        if let Err(e) = read_archive(&inner_path, &inner, depth + 1, walk) {
            walk.warnings.push(format!("{inner_path}: {e}"));
        }
    }
    Ok(())
}

/// `META-INF/maven/<groupId>/<artifactId>/pom.properties`.
fn is_pom_properties(name: &str) -> bool {
    name.strip_prefix("META-INF/maven/")
        .and_then(|rest| rest.strip_suffix("/pom.properties"))
        .is_some_and(|group_artifact| group_artifact.split('/').count() == 2)
}

/// Inflates one entry, refusing one that claims or turns out to be larger
/// than `limit`.
fn read_entry(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    index: usize,
    limit: u64,
) -> Result<Vec<u8>, String> {
    let entry = zip
        .by_index(index)
        .map_err(|e| format!("unreadable entry: {e}"))?;
    if entry.size() > limit {
        return Err(format!(
            "entry of {} bytes is too large to read",
            entry.size()
        ));
    }
    let mut bytes = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("unreadable entry: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("entry inflates beyond {limit} bytes"));
    }
    Ok(bytes)
}
