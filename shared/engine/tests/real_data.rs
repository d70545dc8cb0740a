#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Tests against the real OSV data in `../shared/vulndata`: one binary, so
//! the 26,000 records are imported once and shared.

#[path = "real_data/support.rs"]
mod support;

#[path = "real_data/ground_truth.rs"]
mod ground_truth;

#[path = "real_data/debian9.rs"]
mod debian9;

#[path = "real_data/languages.rs"]
mod languages;

#[path = "real_data/distributions.rs"]
mod distributions;
