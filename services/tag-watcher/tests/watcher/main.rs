//! The tag watcher against a real local registry (Debian's
//! `docker-registry`), real NATS and a real database. Each test has its own
//! registry, bus namespace and database; poll cycles run when the test
//! says, never on a timer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod counting;
mod notifications;
mod outage;
mod polling;
mod proxy;
mod restart;
mod support;
