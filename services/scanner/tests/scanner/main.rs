//! The scanner service end to end: real NATS, real databases, a real
//! registry (Debian's docker-registry), real images and real OSV
//! advisories. Each test gets its own bus namespace and database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod crash;
mod database_update;
mod failures;
mod lifecycle;
mod periodic;
mod support;
mod work_queue;
