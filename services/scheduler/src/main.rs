//! The scheduler service binary. See the library for what the service does.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tagwarden_runtime::service::main(tagwarden_scheduler::SERVICE, tagwarden_scheduler::run).await
}
