//! Test support for Tagwarden's integration tests: real registries and
//! real images, no Docker daemon.
//!
//! - [`LocalRegistry`] runs Debian's `docker-registry` (CNCF distribution)
//!   on a free loopback port with its storage in a temporary directory,
//!   optionally behind htpasswd basic auth, and stops it on drop.
//! - [`ImageBuilder`] makes small real OCI images with `umoci`, one layer
//!   per [`ImageBuilder::layer`] call, deletions becoming whiteouts.
//! - [`OciImage::push`] copies an image into a registry with `skopeo`
//!   (OCI, Docker schema 2 or schema 1), [`OciImage::save_docker_archive`]
//!   writes a `docker save` tarball, and [`OciImage::index`] combines
//!   images into a multi-platform index, with an attestation entry if
//!   asked, as BuildKit makes them.
//!
//! Every helper panics with the tool's stderr on failure: in a test that
//! is the clearest report. The tools come from Debian's `docker-registry`,
//! `umoci`, `skopeo` and `apache2-utils` packages (`infra/local/deps.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod command;
mod http;
mod image;
mod index;
mod registry;

pub use http::HttpResponse;
pub use image::{ImageBuilder, OciImage, PushFormat};
pub use registry::{LocalRegistry, NotificationEndpoint, RegistryOptions};
