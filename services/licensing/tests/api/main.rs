//! The licensing service, started for real (its own NATS namespace, its
//! own SQLite file or PostgreSQL database, port 0) and driven through its
//! gRPC API with a bearer token, as a client would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod discovery;
mod errors;
mod listing;
mod outbox;
mod seats;
mod support;
