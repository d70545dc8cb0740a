//! `tagwardenctl` as an operator runs it: the built binary against the real
//! licensing and scheduler services, started in-process (their own NATS
//! namespace, SQLite files in a temporary folder, port 0, a manual clock),
//! and against stand-ins of the discovery and scanner APIs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod licensing;
mod scans;
mod stubbed;
mod stubs;
mod support;
