//! The scheduler service end to end: real NATS, real databases, a clock
//! the tests move. Each test gets its own bus namespace and database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod daily;
mod database_update;
mod deleted;
mod failures;
mod follow_up;
mod redelivery;
mod restart;
mod support;
mod timeout;
