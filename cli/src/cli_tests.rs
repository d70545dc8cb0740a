//! The command line as typed, parsed into exactly the expected commands.

use chrono::TimeDelta;

use super::*;
use crate::output::Format;
use crate::paging::Limit;
use crate::when::TimeArg;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("tagwardenctl").chain(args.iter().copied()))
}

fn operate(args: &[&str]) -> Operate {
    match parse(args).unwrap().command {
        Command::Operate(operate) => operate,
        other => panic!("{args:?} parsed as {other:?}"),
    }
}

fn targets(command: targets::Command, output: Format) -> Operate {
    Operate::Targets(targets::Args { command, output })
}

#[test]
fn targets_add_takes_several_rules() {
    assert_eq!(
        operate(&["targets", "add", "acme/app", "--rule", "latest", "-r", "v*"]),
        targets(
            targets::Command::Add {
                image: "acme/app".into(),
                rules: vec!["latest".into(), "v*".into()],
            },
            Format::Table
        )
    );
}

#[test]
fn targets_add_needs_a_rule() {
    let err = parse(&["targets", "add", "acme/app"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
}

#[test]
fn targets_add_rule_and_output_after_the_group_or_the_command() {
    let expected = targets(
        targets::Command::AddRule {
            target_or_image: "acme/app:latest".into(),
            rules: vec!["production-*".into()],
        },
        Format::Json,
    );
    let after = [
        "targets",
        "add-rule",
        "acme/app:latest",
        "--rule",
        "production-*",
        "-o",
        "json",
    ];
    assert_eq!(operate(&after), expected);
    let before = [
        "targets",
        "--output",
        "json",
        "add-rule",
        "acme/app:latest",
        "-r",
        "production-*",
    ];
    assert_eq!(operate(&before), expected);
}

#[test]
fn targets_list_and_delete() {
    assert_eq!(
        operate(&[
            "targets",
            "list",
            "--image",
            "reg/acme/app",
            "--include-deleted"
        ]),
        targets(
            targets::Command::List {
                image: Some("reg/acme/app".into()),
                include_deleted: true,
            },
            Format::Table
        )
    );
    assert_eq!(
        operate(&["target", "delete", "0190-x"]),
        targets(
            targets::Command::Delete {
                id: "0190-x".into()
            },
            Format::Table
        )
    );
}

#[test]
fn images_list_filters() {
    assert_eq!(
        operate(&[
            "images",
            "list",
            "--targets-only",
            "--search",
            "app",
            "--limit",
            "0"
        ]),
        Operate::Images(images::Args {
            command: images::Command::List(images::ListArgs {
                targets_only: true,
                search: Some("app".into()),
                integration: None,
                oldest_first: false,
                limit: Limit { limit: 0 },
            }),
            output: Format::Table,
        })
    );
}

#[test]
fn scans_list_filters_and_times() {
    let args = [
        "scans",
        "list",
        "--target",
        "acme/app:v*",
        "--status",
        "failed",
        "--since",
        "7d",
        "--until",
        "2026-03-01",
    ];
    assert_eq!(
        operate(&args),
        Operate::Scans(scans::Args {
            command: scans::Command::List(scans::ListArgs {
                target: Some("acme/app:v*".into()),
                status: Some(scans::StatusArg::Failed),
                since: Some(TimeArg::Ago(TimeDelta::days(7))),
                until: Some(TimeArg::At("2026-03-01T00:00:00Z".parse().unwrap())),
                limit: Limit { limit: 100 },
            }),
            output: Format::Table,
        })
    );
    let err = parse(&["scans", "list", "--since", "yesterday"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
    let err = parse(&["scans", "list", "--status", "done"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
}

#[test]
fn issues_list_filters() {
    let args = [
        "issues",
        "list",
        "--severity",
        "critical,high",
        "--severity",
        "low",
        "--state",
        "fixed",
        "--package",
        "openssl",
        "--vuln",
        "CVE-2024-5535",
        "--scan",
        "s-1",
        "-o",
        "json",
    ];
    assert_eq!(
        operate(&args),
        Operate::Issues(issues::Args {
            command: issues::Command::List(issues::ListArgs {
                target: None,
                scan: Some("s-1".into()),
                severity: vec![
                    issues::SeverityArg::Critical,
                    issues::SeverityArg::High,
                    issues::SeverityArg::Low,
                ],
                state: Some(issues::StateArg::Fixed),
                package: Some("openssl".into()),
                vulnerability: Some("CVE-2024-5535".into()),
                limit: Limit { limit: 100 },
            }),
            output: Format::Json,
        })
    );
    assert_eq!(
        operate(&["issues", "show", "is-1"]),
        Operate::Issues(issues::Args {
            command: issues::Command::Show { id: "is-1".into() },
            output: Format::Table,
        })
    );
}

#[test]
fn integrations_add_with_settings() {
    let args = [
        "integrations",
        "add",
        "prod",
        "--provider",
        "ecr",
        "--registry",
        "123.dkr.ecr.eu-west-1.amazonaws.com",
        "--setting",
        "region=eu-west-1",
    ];
    assert_eq!(
        operate(&args),
        Operate::Integrations(integrations::Args {
            command: integrations::Command::Add {
                name: "prod".into(),
                provider: "ecr".into(),
                registry: Some("123.dkr.ecr.eu-west-1.amazonaws.com".into()),
                settings: vec![("region".into(), "eu-west-1".into())],
                credential_ref: None,
            },
            output: Format::Table,
        })
    );
    let err = parse(&[
        "integrations",
        "add",
        "x",
        "--provider",
        "ftp",
        "--registry",
        "r",
    ])
    .unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    assert_eq!(
        operate(&["integrations", "refresh", "prod"]),
        Operate::Integrations(integrations::Args {
            command: integrations::Command::Refresh {
                integration: "prod".into()
            },
            output: Format::Table,
        })
    );
}

#[test]
fn integrations_add_needs_a_registry_only_where_discovery_cannot_derive_it() {
    let add = |provider: &str, registry: Option<&str>| {
        let mut args = vec!["integrations", "add", "x", "--provider", provider];
        args.extend(registry.iter().flat_map(|host| ["--registry", *host]));
        parse(&args)
    };
    for provider in ["ecr", "artifact-registry"] {
        match add(provider, None).unwrap().command {
            Command::Operate(Operate::Integrations(integrations::Args {
                command: integrations::Command::Add { registry: None, .. },
                ..
            })) => {}
            other => panic!("{provider}: {other:?}"),
        }
    }
    for provider in ["oci", "acr"] {
        let err = add(provider, None).unwrap_err();
        assert_eq!(
            err.kind(),
            clap::error::ErrorKind::MissingRequiredArgument,
            "{provider}"
        );
        assert!(err.to_string().contains("--registry"), "{err}");
        assert!(add(provider, Some("registry.lan")).is_ok(), "{provider}");
    }
}

#[test]
fn licences_and_the_connection_flags() {
    let cli = parse(&[
        "--token",
        "t0k",
        "--licensing",
        "http://10.0.0.1:1",
        "--config",
        "/tmp/c.toml",
        "licences",
        "-o",
        "json",
    ])
    .unwrap();
    assert_eq!(cli.access.token.as_deref(), Some("t0k"));
    assert_eq!(
        cli.access.config.as_deref(),
        Some(std::path::Path::new("/tmp/c.toml"))
    );
    assert_eq!(
        cli.endpoints.licensing.as_deref(),
        Some("http://10.0.0.1:1")
    );
    assert_eq!(cli.endpoints.scanner, None);
    assert!(matches!(
        cli.command,
        Command::Operate(Operate::Licences(licences::Args {
            output: Format::Json
        }))
    ));
    assert!(matches!(
        parse(&["licenses"]).unwrap().command,
        Command::Operate(_)
    ));
}

#[test]
fn the_command_tree_is_consistent() {
    use clap::CommandFactory as _;
    Cli::command().debug_assert();
}

#[test]
fn status_takes_the_output_flag() {
    let cli = parse(&["status", "-o", "json"]).unwrap();
    assert!(matches!(
        cli.command,
        Command::Status(status::Args {
            output: Format::Json
        })
    ));
}
