//! `tagwardenctl status`: one line per service, exit 1 if any is not serving.

use std::process::ExitCode;
use std::time::Duration;

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::Endpoints;
use crate::client::{self, Access, ServiceUrls};

pub(crate) async fn run(endpoints: &Endpoints, access: &Access) -> anyhow::Result<ExitCode> {
    let file = client::load_file(access.config.as_deref())?;
    let urls = ServiceUrls::resolve(endpoints, &file);
    let services = [
        ("discovery", &urls.discovery),
        ("licensing", &urls.licensing),
        ("tag-watcher", &urls.tag_watcher),
        ("scheduler", &urls.scheduler),
        ("scanner", &urls.scanner),
    ];
    let mut all_up = true;
    for (name, url) in services {
        let state = check(url).await;
        all_up &= state == "SERVING";
        #[allow(clippy::print_stdout)]
        {
            println!("{name:<12} {url:<24} {state}");
        }
    }
    Ok(if all_up {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The service's overall health status, or why it could not be asked.
async fn check(url: &str) -> String {
    let endpoint = match tonic::transport::Endpoint::from_shared(url.to_owned()) {
        Ok(endpoint) => endpoint.connect_timeout(Duration::from_secs(2)),
        Err(err) => return format!("invalid url: {err}"),
    };
    let channel = match endpoint.connect().await {
        Ok(channel) => channel,
        Err(_) => return "UNREACHABLE".to_owned(),
    };
    let request = HealthCheckRequest {
        service: String::new(),
    };
    match HealthClient::new(channel).check(request).await {
        Ok(answer) => ServingStatus::try_from(answer.into_inner().status)
            .map_or_else(|_| "UNKNOWN".to_owned(), |s| s.as_str_name().to_owned()),
        Err(status) => format!("ERROR {}", status.message()),
    }
}
