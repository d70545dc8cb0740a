//! `tagwardenctl status`: one line per service, exit 1 if any is not serving.

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::Endpoints;
use crate::client::{self, Access, ServiceUrls};
use crate::output::{self, Format, Row};

/// Show whether each service is up (gRPC health; needs no token).
#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct Args {
    /// Table or JSON.
    #[arg(long, short, value_enum, default_value_t)]
    pub(crate) output: Format,
}

pub(crate) async fn run(
    args: &Args,
    endpoints: &Endpoints,
    access: &Access,
) -> anyhow::Result<ExitCode> {
    let file = client::load_file(access.config.as_deref())?;
    let urls = ServiceUrls::resolve(endpoints, &file);
    let services = [
        ("discovery", &urls.discovery),
        ("licensing", &urls.licensing),
        ("tag-watcher", &urls.tag_watcher),
        ("scheduler", &urls.scheduler),
        ("scanner", &urls.scanner),
    ];
    let mut rows = Vec::new();
    for (service, url) in services {
        let state = check(url).await;
        rows.push(Health {
            service,
            url: url.clone(),
            state,
        });
    }
    output::show(&rows, args.output)?;
    let all_up = rows.iter().all(|row| row.state == "SERVING");
    Ok(if all_up {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One service's answer.
#[derive(Debug, Serialize)]
struct Health {
    service: &'static str,
    url: String,
    /// `SERVING`, `NOT_SERVING`, `UNREACHABLE`, or what went wrong.
    state: String,
}

impl Row for Health {
    const HEADER: &'static [&'static str] = &["SERVICE", "URL", "STATE"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.service.to_owned(),
            self.url.clone(),
            self.state.clone(),
        ]
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_service() {
        let rows = vec![
            Health {
                service: "discovery",
                url: "http://127.0.0.1:50051".into(),
                state: "SERVING".into(),
            },
            Health {
                service: "tag-watcher",
                url: "http://127.0.0.1:50053".into(),
                state: "UNREACHABLE".into(),
            },
        ];
        assert_eq!(
            output::render(&rows, Format::Table).unwrap(),
            "SERVICE      URL                     STATE\n\
             discovery    http://127.0.0.1:50051  SERVING\n\
             tag-watcher  http://127.0.0.1:50053  UNREACHABLE\n"
        );
    }
}
