//! Test support for integration tests (filled in with the registry client).
