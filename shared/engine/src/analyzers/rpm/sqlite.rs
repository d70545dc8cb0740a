//! Reads the header blobs out of an rpm database in SQLite format
//! (`rpmdb.sqlite`, rpm 4.16 and later: Fedora 33+, RHEL 9, AlmaLinux 9).
//!
//! The database arrives as bytes; it is opened read-only in memory, never
//! written to disk. rpm keeps the file in WAL mode, which an in-memory
//! database cannot use, so the copy's header is switched to the legacy
//! journal as it is loaded. Changes still sitting in an `rpmdb.sqlite-wal`
//! file are not seen; the analyzer warns when that file is not empty.

use std::io::Read;

use rusqlite::{Connection, MAIN_DB, OpenFlags};

/// Offsets of the "file format write/read version" bytes in the SQLite
/// header: 1 means rollback journal, 2 means WAL.
const FORMAT_VERSION_BYTES: std::ops::Range<usize> = 18..20;

/// Every SQLite database starts with a 100-byte header.
const HEADER_LEN: usize = 100;

/// The 16-byte string every SQLite database file starts with.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Returns every row of the `Packages` table, in database order.
pub(crate) fn header_blobs(database: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if !database.starts_with(SQLITE_MAGIC) || database.len() < HEADER_LEN {
        return Err("not an SQLite database (no SQLite header)".to_owned());
    }
    // The copy SQLite reads is stitched from the original and two patched
    // header bytes, so the database is copied once (into SQLite's memory).
    let mut format_version = [0u8; 2];
    format_version.copy_from_slice(&database[FORMAT_VERSION_BYTES]);
    for byte in &mut format_version {
        if *byte == 2 {
            *byte = 1;
        }
    }
    let patched = database[..FORMAT_VERSION_BYTES.start]
        .chain(&format_version[..])
        .chain(&database[FORMAT_VERSION_BYTES.end..]);

    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_in_memory_with_flags(flags).map_err(sqlite_error)?;
    conn.deserialize_read_exact(MAIN_DB, patched, database.len(), true)
        .map_err(sqlite_error)?;

    let mut statement = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .map_err(sqlite_error)?;
    let rows = statement
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .map_err(sqlite_error)?;
    rows.collect::<Result<_, _>>().map_err(sqlite_error)
}

fn sqlite_error(e: rusqlite::Error) -> String {
    format!("sqlite: {e}")
}
