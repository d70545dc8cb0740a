//! Generated code for Tagwarden's protobuf contracts: the bus events
//! (`events::v1`) and one gRPC API per service. Nothing here is written by
//! hand; the `.proto` files in the workspace's `proto/` directory are the
//! source of truth.

#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

/// Events exchanged over NATS JetStream.
pub mod events {
    /// Version 1 of the event contract.
    pub mod v1 {
        tonic::include_proto!("tagwarden.events.v1");
    }
}

/// The discovery service's API.
pub mod discovery {
    /// Version 1 of the API.
    pub mod v1 {
        tonic::include_proto!("tagwarden.discovery.v1");
    }
}

/// The licensing service's API.
pub mod licensing {
    /// Version 1 of the API.
    pub mod v1 {
        tonic::include_proto!("tagwarden.licensing.v1");
    }
}

/// The scheduler service's API.
pub mod scheduler {
    /// Version 1 of the API.
    pub mod v1 {
        tonic::include_proto!("tagwarden.scheduler.v1");
    }
}

/// The scanner service's API.
pub mod scanner {
    /// Version 1 of the API.
    pub mod v1 {
        tonic::include_proto!("tagwarden.scanner.v1");
    }
}
