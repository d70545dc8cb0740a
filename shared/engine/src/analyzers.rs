//! Every analyzer the engine runs, registered in one place.
//!
//! The layer walker asks each analyzer which files it wants and caches
//! results per layer under the analyzers' names and versions, so adding an
//! analyzer here is all it takes for scans to use it: declare its module,
//! re-export its type, and add it to [`all`].
//!
//! Analyzers see one file at a time. The few rules that need the whole
//! final filesystem (which OS release file wins, an installed `node_modules`
//! tree over its lockfile) live in [`refine`], which the engine runs once
//! on the merged inventory.

use crate::analyzer::Analyzer;
use crate::inventory::{Inventory, OsRelease};

mod control;

pub mod apk;
pub mod dpkg;
mod go;
mod java;
pub mod npm;
pub mod os_release;
mod php;
pub mod python;
mod rpm;
mod ruby;
mod rust;

pub use apk::ApkAnalyzer;
pub use dpkg::DpkgAnalyzer;
pub use go::GoBinaryAnalyzer;
pub use java::JavaAnalyzer;
pub use npm::NpmAnalyzer;
pub use os_release::OsReleaseAnalyzer;
pub use php::PhpAnalyzer;
pub use python::PythonAnalyzer;
pub use rpm::RpmAnalyzer;
pub use ruby::RubyAnalyzer;
pub use rust::RustAnalyzer;

/// Every analyzer, in no particular order.
pub fn all() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(OsReleaseAnalyzer),
        Box::new(DpkgAnalyzer),
        Box::new(ApkAnalyzer),
        Box::new(PythonAnalyzer),
        Box::new(NpmAnalyzer),
        Box::new(RpmAnalyzer),
        Box::new(PhpAnalyzer),
        Box::new(RubyAnalyzer),
        Box::new(JavaAnalyzer),
        Box::new(RustAnalyzer),
        Box::new(GoBinaryAnalyzer),
    ]
}

/// Rules over the merged inventory of the final filesystem: packages a
/// single file cannot decide about.
pub fn refine(inventory: &mut Inventory) {
    npm::prefer_installed(&mut inventory.packages);
}

/// Picks the OS identity from the candidates found in files still present
/// in the final filesystem, `(path, identity)`: the most trusted file wins
/// (see [`os_release::preference`]); files the OS analyzer does not rank
/// come last, in path order.
pub fn select_os(mut candidates: Vec<(String, OsRelease)>) -> Option<OsRelease> {
    candidates.sort_by(|(a, _), (b, _)| {
        let rank = |p: &str| os_release::preference(p).unwrap_or(usize::MAX);
        rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
    });
    candidates.into_iter().next().map(|(_, os)| os)
}
