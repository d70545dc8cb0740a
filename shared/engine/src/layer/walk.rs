//! One pass over a layer's tar stream: what the layer changes in the
//! filesystem (its [`LayerShape`]) and what each analyzer found in the
//! files it wanted. Only wanted files are read into memory; everything
//! else is skipped as the stream flows past.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{self, Read};

use tar::EntryType;

use super::path::{self, PathProblem};
use super::{AnalyzerResult, FileRecord, LayerShape};
use crate::analyzer::{Analyzer, FileInput, FileMeta};

/// Why a walk stopped.
#[derive(Debug)]
pub(crate) enum WalkError {
    /// An entry (or a link's target) escapes the image root.
    Escape { entry: String, problem: PathProblem },
    /// The tar stream (or what feeds it) failed.
    Io(io::Error),
}

impl From<io::Error> for WalkError {
    fn from(e: io::Error) -> Self {
        WalkError::Io(e)
    }
}

/// Walks the tar stream in `reader` with `analyzers`, reading wanted files
/// up to `max_file` bytes.
pub(crate) fn walk<R: Read>(
    reader: R,
    analyzers: &[&dyn Analyzer],
    max_file: u64,
) -> Result<(LayerShape, Vec<AnalyzerResult>), WalkError> {
    let mut walker = Walker {
        analyzers,
        max_file,
        whiteouts: BTreeSet::new(),
        opaque_dirs: BTreeSet::new(),
        symlinks: BTreeMap::new(),
        entries: HashSet::new(),
        non_dirs: HashSet::new(),
        results: analyzers
            .iter()
            .map(|_| AnalyzerResult::default())
            .collect(),
    };
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        walker.entry(entry?)?;
    }
    Ok(walker.finish())
}

struct Walker<'a> {
    analyzers: &'a [&'a dyn Analyzer],
    max_file: u64,
    whiteouts: BTreeSet<String>,
    opaque_dirs: BTreeSet<String>,
    symlinks: BTreeMap<String, String>,
    entries: HashSet<u64>,
    non_dirs: HashSet<u64>,
    results: Vec<AnalyzerResult>,
}

impl Walker<'_> {
    fn entry<R: Read>(&mut self, mut entry: tar::Entry<'_, R>) -> Result<(), WalkError> {
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = path::normalize_entry(&raw).map_err(|problem| WalkError::Escape {
            entry: raw.clone(),
            problem,
        })?;
        if path == "/" {
            return Ok(());
        }
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let dir = if dir.is_empty() { "/" } else { dir };
            if hidden == ".wh..opq" {
                self.opaque_dirs.insert(dir.to_owned());
            } else if !hidden.starts_with(".wh.") {
                // `.wh..wh.*` other than the opaque marker is aufs
                // bookkeeping (`.wh..wh.plnk`), not a deletion.
                self.whiteouts
                    .insert(format!("{}/{hidden}", dir.trim_end_matches('/')));
            }
            return Ok(());
        }
        let hash = path::path_hash(&path);
        self.entries.insert(hash);
        let header = entry.header();
        let kind = header.entry_type();
        if kind == EntryType::Directory {
            return Ok(());
        }
        self.non_dirs.insert(hash);
        let mode = header.mode().unwrap_or(0o644);
        match kind {
            EntryType::Symlink => {
                let target = link_name(&entry);
                path::check_symlink(&path, &target).map_err(|problem| WalkError::Escape {
                    entry: raw,
                    problem,
                })?;
                self.symlinks.insert(path.clone(), target);
                self.record_wanting(&path, 0, mode, |_| FileRecord::Symlink);
            }
            EntryType::Link => {
                let target = path::normalize_hard_link(&link_name(&entry)).map_err(|problem| {
                    WalkError::Escape {
                        entry: raw,
                        problem,
                    }
                })?;
                self.hard_link(&path, &target, mode);
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let size = entry.size();
                self.regular(&path, size, mode, &mut entry)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Records `make(i)` for every analyzer `i` that wants the file.
    fn record_wanting(
        &mut self,
        path: &str,
        size: u64,
        mode: u32,
        mut make: impl FnMut(usize) -> FileRecord,
    ) {
        let meta = FileMeta { path, size, mode };
        for (i, analyzer) in self.analyzers.iter().enumerate() {
            if analyzer.wants(&meta) {
                let record = make(i);
                self.results[i].files.insert(path.to_owned(), record);
            }
        }
    }

    fn hard_link(&mut self, path: &str, target: &str, mode: u32) {
        let copies: Vec<Option<FileRecord>> = self
            .results
            .iter()
            .map(|r| match r.files.get(target) {
                Some(FileRecord::Read(found)) => Some(FileRecord::Read(found.moved(target, path))),
                _ => None,
            })
            .collect();
        self.record_wanting(path, 0, mode, |i| {
            copies[i].clone().unwrap_or_else(|| FileRecord::HardLink {
                target: target.to_owned(),
            })
        });
    }

    fn regular<R: Read>(
        &mut self,
        path: &str,
        size: u64,
        mode: u32,
        contents: &mut R,
    ) -> Result<(), WalkError> {
        let meta = FileMeta { path, size, mode };
        let wanting: Vec<usize> = (0..self.analyzers.len())
            .filter(|&i| self.analyzers[i].wants(&meta))
            .collect();
        if wanting.is_empty() {
            return Ok(());
        }
        if size > self.max_file {
            let warning = format!(
                "{path} is {size} bytes, more than the {} bytes read per file; not analyzed",
                self.max_file
            );
            for i in wanting {
                let record = FileRecord::Skipped {
                    warning: warning.clone(),
                };
                self.results[i].files.insert(path.to_owned(), record);
            }
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        contents.read_to_end(&mut bytes)?;
        let input = FileInput {
            path,
            contents: &bytes,
        };
        for i in wanting {
            let record = match self.analyzers[i].analyze(&input) {
                Ok(findings) => FileRecord::read(findings, path),
                Err(e) => FileRecord::Failed {
                    warning: e.to_string(),
                },
            };
            self.results[i].files.insert(path.to_owned(), record);
        }
        Ok(())
    }

    fn finish(self) -> (LayerShape, Vec<AnalyzerResult>) {
        let sorted = |set: HashSet<u64>| {
            let mut v: Vec<u64> = set.into_iter().collect();
            v.sort_unstable();
            v
        };
        let shape = LayerShape {
            whiteouts: self.whiteouts,
            opaque_dirs: self.opaque_dirs,
            symlinks: self.symlinks,
            entries: sorted(self.entries),
            non_dirs: sorted(self.non_dirs),
        };
        (shape, self.results)
    }
}

fn link_name<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry
        .link_name_bytes()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}
