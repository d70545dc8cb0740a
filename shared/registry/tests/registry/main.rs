//! Integration tests of the registry client against Debian's real
//! `docker-registry`, with small loopback stand-ins (in `standin.rs`) only
//! where the real registry cannot behave as needed: bearer tokens, 429 and
//! 5xx answers, and paginated tag lists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod listing;
mod pull;
mod retry;
mod standin;
mod support;
