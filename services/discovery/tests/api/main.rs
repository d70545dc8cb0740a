//! The discovery service, started for real (its own NATS namespace, its
//! own SQLite file or PostgreSQL database, port 0) in front of real
//! `docker-registry` instances, and driven through its gRPC API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod integrations;
mod listing;
mod registry;
mod support;
mod sync;
