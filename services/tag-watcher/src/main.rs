//! The tag-watcher service binary. See the library for what the service does.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tagwarden_runtime::service::main(tagwarden_tag_watcher::SERVICE, tagwarden_tag_watcher::run)
        .await
}
