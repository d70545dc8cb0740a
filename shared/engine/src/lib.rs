//! The scanning engine: from an image to its packages, and from packages to
//! the vulnerabilities that affect them.
//!
//! Matching a package against an advisory comes down to asking whether the
//! installed version lies inside an affected range, and every ecosystem
//! orders its versions differently. [`version`] holds those orderings, one
//! module per scheme, behind a single [`version::VersionScheme`] so the
//! matcher never needs to know which rules apply.

pub mod advisory;
pub mod analyzer;
pub mod analyzers;
mod cache;
pub mod engine;
pub mod inventory;
mod layer;
pub mod matcher;
mod overlay;
pub mod report;
pub mod source;
pub mod version;
