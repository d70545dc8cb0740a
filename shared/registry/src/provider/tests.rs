//! Provider tests against real servers: Debian's `docker-registry` for
//! OCI, `moto` for the ECR API, and small loopback stand-ins (in
//! `standin`) for what no local server offers: ECR pagination, and the
//! ACR and Artifact Registry token endpoints and metadata APIs, placed in
//! front of a real registry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acr;
mod ecr;
mod gar;
mod moto;
mod oci;
mod standin;

use std::time::Duration;

use crate::RetryPolicy;

/// Installs the TLS provider, as every binary does.
fn install_crypto() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Retries fast enough for tests.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(1),
    }
}
