//! Merging per-layer results into the inventory of the final filesystem.
//!
//! Layers are applied bottom to top the way overlayfs stacks them: a layer
//! that writes a path replaces the lower file; a whiteout deletes a path
//! and everything under it; an opaque directory hides everything lower
//! down inside it; a non-directory written over a directory hides the
//! directory's lower contents. A file's findings count only if the file is
//! still there at the top.
//!
//! Each package is attributed to the lowest layer from which the same
//! package (kind, name, version) has been continuously present in that
//! file: a layer that rewrites `/var/lib/dpkg/status` to add one package
//! does not claim the hundred packages that were already listed, and a
//! package that was deleted and installed again belongs to the layer that
//! installed it again.
//!
//! Known shortcoming: a hard link is followed to its target's version in
//! the final filesystem, not to the version that existed when the link was
//! written; the two differ only if a higher layer rewrote the target.

use std::collections::BTreeMap;

use crate::analyzers;
use crate::inventory::{Inventory, OsRelease, Package};
use crate::layer::path;
use crate::layer::{AnalyzerResult, FileRecord, FoundInFile, LayerShape};

/// One layer as the merge sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerView<'a> {
    /// The layer's diff id, recorded on the packages it brought.
    pub(crate) diff_id: &'a str,
    pub(crate) shape: &'a LayerShape,
    /// One result per analyzer, the same analyzer order in every layer.
    pub(crate) results: &'a [AnalyzerResult],
}

/// A file visible at some point of the stack, with the layer each of its
/// packages is attributed to.
#[derive(Debug, Clone)]
struct Visible<'a> {
    record: &'a FileRecord,
    attributed: Vec<usize>,
}

impl<'a> Visible<'a> {
    fn new(record: &'a FileRecord, layer: usize, prior: Option<&Visible<'a>>) -> Self {
        let FileRecord::Read(found) = record else {
            return Self {
                record,
                attributed: Vec::new(),
            };
        };
        let attributed = found
            .packages
            .iter()
            .map(|pkg| prior.and_then(|prior| prior.layer_of(pkg)).unwrap_or(layer))
            .collect();
        Self { record, attributed }
    }

    /// The attributed layer of the same package in this file, if present.
    fn layer_of(&self, pkg: &Package) -> Option<usize> {
        let FileRecord::Read(found) = self.record else {
            return None;
        };
        found
            .packages
            .iter()
            .position(|p| p.kind == pkg.kind && p.name == pkg.name && p.version == pkg.version)
            .map(|i| self.attributed[i])
    }
}

/// The inventory of the top of `layers` (bottom first).
pub(crate) fn merge(layers: &[LayerView<'_>], analyzer_count: usize) -> Inventory {
    let mut files: Vec<BTreeMap<&str, Visible<'_>>> = vec![BTreeMap::new(); analyzer_count];
    let mut symlinks: BTreeMap<String, String> = BTreeMap::new();
    for (j, layer) in layers.iter().enumerate() {
        let shape = layer.shape;
        let gone = |p: &str| shape.hides_below(p) || shape.writes(p);
        for (visible, result) in files.iter_mut().zip(layer.results) {
            let incoming: Vec<_> = result
                .files
                .iter()
                .map(|(path, record)| {
                    let prior = (!shape.hides_below(path))
                        .then(|| visible.get(path.as_str()))
                        .flatten();
                    (path.as_str(), Visible::new(record, j, prior))
                })
                .collect();
            visible.retain(|p, _| !gone(p));
            visible.extend(incoming);
        }
        symlinks.retain(|p, _| !gone(p));
        symlinks.extend(shape.symlinks.iter().map(|(p, t)| (p.clone(), t.clone())));
    }
    let mut out = Collected::default();
    for visible in &files {
        for (path, file) in visible {
            out.collect(path, file, visible, &symlinks, layers);
        }
    }
    let mut inventory = Inventory {
        os: analyzers::select_os(out.os),
        packages: out.packages,
        warnings: out.warnings,
    };
    analyzers::refine(&mut inventory);
    inventory.normalize();
    inventory
}

#[derive(Debug, Default)]
struct Collected {
    os: Vec<(String, OsRelease)>,
    packages: Vec<Package>,
    warnings: Vec<String>,
}

impl Collected {
    fn collect(
        &mut self,
        path: &str,
        file: &Visible<'_>,
        visible: &BTreeMap<&str, Visible<'_>>,
        symlinks: &BTreeMap<String, String>,
        layers: &[LayerView<'_>],
    ) {
        let Some((found, attributed)) = self.follow(path, file, visible, symlinks) else {
            return;
        };
        if let Some(os) = &found.os {
            self.os.push((path.to_owned(), os.clone()));
        }
        for (pkg, &layer) in found.packages.iter().zip(attributed) {
            self.packages.push(Package {
                layer: Some(layers[layer].diff_id.to_owned()),
                ..pkg.clone()
            });
        }
        self.warnings.extend(found.warnings.iter().cloned());
    }

    /// The findings a visible file stands for, following links inside the
    /// final filesystem; records a warning when there are none to give.
    fn follow<'v>(
        &mut self,
        path: &str,
        file: &'v Visible<'v>,
        visible: &'v BTreeMap<&str, Visible<'v>>,
        symlinks: &BTreeMap<String, String>,
    ) -> Option<(&'v FoundInFile, &'v [usize])> {
        let mut current = file;
        let mut at = path.to_owned();
        for _ in 0..40 {
            let next = match current.record {
                FileRecord::Read(found) => return Some((found, &current.attributed)),
                FileRecord::Skipped { warning } | FileRecord::Failed { warning } => {
                    self.warnings.push(warning.clone());
                    return None;
                }
                FileRecord::Symlink => path::resolve(&at, symlinks),
                FileRecord::HardLink { target } => path::resolve(target, symlinks),
            };
            let Some(target) = next.filter(|t| *t != at) else {
                break;
            };
            match visible.get(target.as_str()) {
                Some(file) => current = file,
                None => {
                    self.warnings.push(format!(
                        "{path} links to {target}, which is missing or was not read"
                    ));
                    return None;
                }
            }
            at = target;
        }
        self.warnings
            .push(format!("{path}: too many levels of links"));
        None
    }
}

#[cfg(test)]
mod tests;
