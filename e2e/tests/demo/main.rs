//! The end-to-end test of the demo flow (`infra/local/up.sh`): the five
//! services in-process on real NATS JetStream (a fresh namespace) with
//! SQLite stores in a temporary directory, a real `docker-registry`, the
//! real images of `infra/images` and the real advisories of
//! `../shared/vulndata/osv`. Waits poll with a deadline; nothing sleeps to
//! order events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod expected;
mod flow;
mod images;
mod stack;
