//! End-to-end test of the demo flow (`infra/local/up.sh`): the five
//! services on real NATS JetStream, a real `docker-registry`, the real demo
//! images from `infra/images` and the real advisory data in
//! `../shared/vulndata`. Everything is in `tests/demo/`; this library is
//! empty and only gives the package a target.
