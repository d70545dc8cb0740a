//! `tagwardenctl vulndb`: the advisory database, and the vulnerability
//! options `scan` shares.
//!
//! With `--db PATH` the commands work on a local database file for
//! pipeline scans: `vulndb import` builds it from OSV records (a directory,
//! zip files, or the public export's base URL with `--ecosystem`), `vulndb
//! status` says what it holds, and `vulndb match` matches a stored
//! inventory (the JSON the engine produces) without pulling an image, the
//! way the scanner re-matches when new advisories arrive. `--db` may come
//! from `TAGWARDEN_VULNDB` instead, here as in `scan`. Without either,
//! `import` and `status` ask the running scanner service
//! (`vulndb_remote.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use tagwarden_engine::advisory::{self, AdvisoryDb, Severity};
use tagwarden_engine::inventory::Inventory;
use tagwarden_engine::matcher::match_inventory;
use tagwarden_engine::report::{Filter, Format, ScanReport};

use crate::{output, vulndb_remote};

/// Manage an advisory database: a local file with `--db PATH`, else the
/// scanner service's (`import` and `status`).
#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: VulndbCommand,
}

#[derive(Debug, PartialEq, clap::Subcommand)]
enum VulndbCommand {
    /// Import OSV records: directories, zip files, or the base URL of the
    /// OSV export (`https://osv-vulnerabilities.storage.googleapis.com`)
    /// with `--ecosystem`. Replaces the database at `--db` when complete.
    Import {
        /// Directories or zips of OSV JSON, or one http(s) base URL.
        #[arg(required = true, value_name = "SRC")]
        sources: Vec<String>,
        /// The database file to write; without it, the scanner service
        /// imports SRC itself.
        #[arg(long, value_name = "PATH", env = "TAGWARDEN_VULNDB")]
        db: Option<PathBuf>,
        /// How the scanner's answer is shown (without `--db`).
        #[arg(long, short, value_enum, default_value_t)]
        output: output::Format,
        /// Ecosystems to download when SRC is a URL (repeat or comma-separate).
        #[arg(long = "ecosystem", value_delimiter = ',')]
        ecosystems: Vec<String>,
    },
    /// Show the database's version, import time and contents.
    Status {
        /// The database file; without it, the scanner service's database.
        #[arg(long, value_name = "PATH", env = "TAGWARDEN_VULNDB")]
        db: Option<PathBuf>,
        /// How the scanner's answer is shown (without `--db`).
        #[arg(long, short, value_enum, default_value_t)]
        output: output::Format,
    },
    /// Match a stored inventory (engine JSON) against the database.
    Match {
        /// The inventory JSON file.
        inventory: PathBuf,
        #[command(flatten)]
        vulnerabilities: VulnArgs,
    },
}

/// Options of `vulndb match`: the database, the format and the gate.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub(crate) struct VulnArgs {
    /// The advisory database (from `vulndb import`).
    #[arg(long, value_name = "PATH", env = "TAGWARDEN_VULNDB")]
    pub(crate) db: PathBuf,
    /// Output format: table, json, sarif, cyclonedx.
    #[arg(long, default_value = "table", value_parser = parse_format)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) gate: GateArgs,
}

/// The vulnerability options `scan IMAGE` adds: with `--db`, the scan
/// reports vulnerabilities in its `--format`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
#[allow(
    dead_code,
    reason = "only scan.rs (ScanArgs) constructs it, through clap"
)]
pub(crate) struct ScanVulnArgs {
    /// Match the image against this advisory database (from `vulndb
    /// import`) and report vulnerabilities.
    #[arg(long, value_name = "PATH", env = "TAGWARDEN_VULNDB")]
    pub(crate) db: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) gate: GateArgs,
}

/// Which findings count, and the exit code when some remain.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub(crate) struct GateArgs {
    /// Only report these severities (comma-separated: critical,high).
    #[arg(long, value_delimiter = ',', value_parser = parse_severity)]
    pub(crate) severity: Vec<Severity>,
    /// Leave out findings that have no fixed version yet.
    #[arg(long)]
    pub(crate) ignore_unfixed: bool,
    /// Exit with this code when findings remain after the filters.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) exit_code: u8,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// Runs a `vulndb` command.
pub(crate) async fn run(
    args: Args,
    endpoints: &crate::Endpoints,
    access: &crate::client::Access,
) -> anyhow::Result<ExitCode> {
    let remote = || crate::client::Clients::new(endpoints, access);
    match args.command {
        VulndbCommand::Import {
            sources,
            db: Some(db),
            ecosystems,
            ..
        } => import(&sources, &db, &ecosystems).await,
        VulndbCommand::Import {
            sources, output, ..
        } => {
            let [source] = sources.as_slice() else {
                bail!("the scanner service imports one SRC at a time (or give --db PATH)");
            };
            vulndb_remote::import(&remote()?, source, output).await?;
            Ok(ExitCode::SUCCESS)
        }
        VulndbCommand::Status { db: Some(db), .. } => status(&db),
        VulndbCommand::Status { db: None, output } => {
            vulndb_remote::status(&remote()?, output).await?;
            Ok(ExitCode::SUCCESS)
        }
        VulndbCommand::Match {
            inventory,
            vulnerabilities,
        } => {
            let raw = std::fs::read(&inventory)
                .with_context(|| format!("failed to read {}", inventory.display()))?;
            let parsed: Inventory = serde_json::from_slice(&raw)
                .with_context(|| format!("{} is not an inventory", inventory.display()))?;
            let target = inventory.display().to_string();
            let VulnArgs { db, format, gate } = &vulnerabilities;
            report(&parsed, &target, db, *format, gate)
        }
    }
}

async fn import(sources: &[String], db: &Path, ecosystems: &[String]) -> anyhow::Result<ExitCode> {
    let urls = sources
        .iter()
        .filter(|s| s.starts_with("http://") || s.starts_with("https://"));
    let download_dir = tempdir_beside(db)?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for base in urls {
        if ecosystems.is_empty() {
            bail!("importing from {base} needs --ecosystem (e.g. --ecosystem Debian,PyPI)");
        }
        let client = advisory::download::client()?;
        let files = advisory::download_export(&client, base, ecosystems, &download_dir)
            .await
            .with_context(|| format!("failed to download the OSV export from {base}"))?;
        paths.extend(files);
    }
    paths.extend(
        sources
            .iter()
            .filter(|s| !s.starts_with("http://") && !s.starts_with("https://"))
            .map(PathBuf::from),
    );
    let summary = advisory::import(&paths, db);
    let _ = std::fs::remove_dir_all(&download_dir);
    let summary = summary.with_context(|| format!("failed to import into {}", db.display()))?;
    for skipped in &summary.skipped {
        eprintln!("warning: skipped {skipped}");
    }
    let status = &summary.status;
    eprintln!(
        "imported {} advisories into {} (version {}; {} malformed and {} withdrawn skipped)",
        status.advisories,
        db.display(),
        status.version,
        status.skipped_malformed,
        status.skipped_withdrawn
    );
    Ok(ExitCode::SUCCESS)
}

/// A scratch directory next to the database, for downloads.
fn tempdir_beside(db: &Path) -> anyhow::Result<PathBuf> {
    let parent = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = parent.join(format!(".vulndb-download-{}", std::process::id()));
    Ok(dir)
}

fn status(db: &Path) -> anyhow::Result<ExitCode> {
    let db = AdvisoryDb::open(db)?;
    let status = db.status();
    let mut out = format!(
        "version:     {}\ncontent:     sha256:{}\nimported at: {}\nadvisories:  {}\nskipped:     {} malformed, {} withdrawn\n\n{:<28} {:>10} {:>9}\n",
        status.version,
        status.version.content_hash,
        status
            .imported_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        status.advisories,
        status.skipped_malformed,
        status.skipped_withdrawn,
        "ECOSYSTEM",
        "ADVISORIES",
        "PACKAGES",
    );
    for (ecosystem, counts) in &status.ecosystems {
        out.push_str(&format!(
            "{ecosystem:<28} {:>10} {:>9}\n",
            counts.advisories, counts.packages
        ));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Matches an inventory, prints the report, and decides the exit code: `N`
/// only when findings at the chosen severities remain after the filters.
/// `scan IMAGE --db PATH` calls this with the scanned image's inventory.
pub(crate) fn report(
    inventory: &Inventory,
    target: &str,
    db: &Path,
    format: Format,
    gate: &GateArgs,
) -> anyhow::Result<ExitCode> {
    let db = AdvisoryDb::open(db)?;
    let result =
        match_inventory(&db, inventory).context("failed to match against the advisory database")?;
    let filter = Filter {
        severities: gate.severity.clone(),
        ignore_unfixed: gate.ignore_unfixed,
    };
    let report = ScanReport::new(target, chrono::Utc::now(), inventory, result, &filter);
    print(&report.render(format))?;
    if !report.findings.is_empty() && gate.exit_code != 0 {
        return Ok(ExitCode::from(gate.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("failed to write the report"),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use tagwarden_engine::inventory::{Package, PackageKind};

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        vulnerabilities: VulnArgs,
    }

    fn osv(dir: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/vulndata/osv")
            .join(dir)
    }

    fn minimist() -> Inventory {
        Inventory {
            os: None,
            packages: vec![Package {
                kind: PackageKind::Npm,
                name: "minimist".into(),
                version: "0.0.8".into(),
                source_name: None,
                source_version: None,
                arch: None,
                path: "/app/node_modules/minimist/package.json".into(),
                layer: None,
            }],
            warnings: Vec::new(),
        }
    }

    #[test]
    fn options_parse_severity_lists_and_formats() {
        let probe = Probe::try_parse_from([
            "x",
            "--db",
            "v.redb",
            "--format",
            "sarif",
            "--severity",
            "critical,HIGH",
            "--ignore-unfixed",
            "--exit-code",
            "4",
        ])
        .unwrap();
        let args = probe.vulnerabilities;
        assert_eq!(args.format, Format::Sarif);
        assert_eq!(args.gate.severity, [Severity::Critical, Severity::High]);
        assert!(args.gate.ignore_unfixed);
        assert_eq!(args.gate.exit_code, 4);
        assert!(Probe::try_parse_from(["x", "--db", "v", "--severity", "urgent"]).is_err());
    }

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        vulndb: Args,
    }

    /// `db` is left out where no `--db` is given: `TAGWARDEN_VULNDB` in
    /// the environment of the test run would fill it.
    #[test]
    fn import_and_status_take_the_short_output_flag_and_a_db() {
        let parse = |args: &[&str]| {
            Command::try_parse_from(std::iter::once("vulndb").chain(args.iter().copied()))
                .unwrap()
                .vulndb
                .command
        };
        assert!(matches!(
            parse(&["status", "-o", "json"]),
            VulndbCommand::Status {
                output: output::Format::Json,
                ..
            }
        ));
        assert_eq!(
            parse(&["status", "--db", "v.redb"]),
            VulndbCommand::Status {
                db: Some("v.redb".into()),
                output: output::Format::Table,
            }
        );
        let VulndbCommand::Import {
            sources,
            output: shown,
            ..
        } = parse(&["import", "/srv/osv", "-o", "json"])
        else {
            panic!("not an import");
        };
        assert_eq!(sources, ["/srv/osv"]);
        assert_eq!(shown, output::Format::Json);
    }

    #[tokio::test]
    async fn exit_code_only_when_findings_remain_at_the_chosen_severities() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v.redb");
        import(&[osv("npm").display().to_string()], &db, &[])
            .await
            .unwrap();
        let gate = |severity: Vec<Severity>| GateArgs {
            severity,
            ignore_unfixed: true,
            exit_code: 3,
        };
        let inventory = minimist();
        // minimist 0.0.8: CVE-2021-44906 (critical) and CVE-2020-7598 (medium).
        let code = |s| report(&inventory, "test", &db, Format::Json, &gate(s)).unwrap();
        assert_eq!(code(vec![]), ExitCode::from(3));
        assert_eq!(code(vec![Severity::Critical]), ExitCode::from(3));
        assert_eq!(code(vec![Severity::Low, Severity::High]), ExitCode::SUCCESS);
        let clean = Inventory::default();
        let code = report(&clean, "test", &db, Format::Json, &gate(vec![])).unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
    }
}
