//! `tagwardenctl scan IMAGE`: runs the engine locally, without any
//! service, for CI pipelines and for looking inside an image.
//!
//! The image is a registry reference, `oci:DIR[:TAG]`,
//! `docker-archive:FILE[:REF]`, or a path to a layout or tarball.
//! Without `--db` it prints the inventory: a summary table
//! (`--list-packages` adds every package), JSON or a CycloneDX 1.5 SBOM.
//! With `--db PATH` it matches the inventory against that advisory
//! database and prints the vulnerabilities as a table, JSON, SARIF 2.1.0
//! or CycloneDX, and exits with `--exit-code N` when findings remain
//! after `--severity` and `--ignore-unfixed`.
//!
//! Layer results are cached (by default under
//! `~/.cache/tagwarden/layers`), so a re-scan of a retagged image, or of
//! one sharing base layers, reads only what is new. Progress goes to
//! stderr, and only when stderr is a terminal.

mod cyclonedx;
mod progress;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use tagwarden_engine::engine::{Engine, EngineConfig, ScannedImage};
use tagwarden_engine::source::ImageSource;

use crate::output;

/// What `scan` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ScanFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// The scanned image (layers, OS, packages, warnings) as JSON; with
    /// `--db`, the vulnerability report.
    Json,
    /// A CycloneDX 1.5 SBOM (JSON); with `--db`, with its vulnerabilities.
    Cyclonedx,
    /// SARIF 2.1.0, one rule per vulnerability (needs `--db`).
    Sarif,
}

/// Arguments of `tagwardenctl scan`: the image, how it is read and
/// cached, and what is printed (its inventory, or with `--db` its
/// vulnerabilities).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub(crate) struct ScanArgs {
    /// The image: host/repo:tag, host/repo@sha256:…, oci:DIR[:TAG],
    /// docker-archive:FILE[:REF], or a path to a layout or tarball.
    pub(crate) image: String,
    /// Print every package found (in the table, without `--db`).
    #[arg(long)]
    pub(crate) list_packages: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub(crate) format: ScanFormat,
    /// Platform to pick from multi-platform images.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub(crate) platform: String,
    /// Reach the image's registry over plain HTTP although it is not on
    /// loopback (loopback registries always are).
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Where layer results are cached [default: ~/.cache/tagwarden/layers].
    #[arg(long, env = "TAGWARDEN_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Cache nothing.
    #[arg(long, conflicts_with = "cache_dir")]
    pub(crate) no_cache: bool,
    /// With `--db`: vulnerabilities, in `--format`, gated by `--exit-code`.
    #[command(flatten)]
    pub(crate) vulnerabilities: crate::vulndb::ScanVulnArgs,
}

/// Scans the image and prints what was asked for.
pub(crate) async fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let source: ImageSource = args.image.parse()?;
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| Arc::new(progress::Bar::new()));
    let engine = engine(&args, &source, bar.clone())?;
    let scanned = engine.inventory(&source).await;
    if let Some(bar) = bar {
        bar.finish();
    }
    let scanned = scanned?;
    let code = match &args.vulnerabilities.db {
        Some(db) => crate::vulndb::report(
            &scanned.inventory,
            &scanned.reference,
            db,
            report_format(args.format),
            &args.vulnerabilities.gate,
        )?,
        None => {
            output::print(&render(&scanned, &args)?)?;
            ExitCode::SUCCESS
        }
    };
    for warning in &scanned.inventory.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(code)
}

fn engine(
    args: &ScanArgs,
    source: &ImageSource,
    bar: Option<Arc<progress::Bar>>,
) -> anyhow::Result<Engine> {
    let platform = args.platform.parse().context("--platform")?;
    let insecure_registries = match (args.insecure, source) {
        (true, ImageSource::Registry(image)) => vec![image.registry().clone()],
        _ => Vec::new(),
    };
    let cache_dir = if args.no_cache {
        None
    } else {
        args.cache_dir.clone().or_else(default_cache_dir)
    };
    let progress = bar.map(|bar| bar as Arc<dyn tagwarden_engine::engine::Progress>);
    Ok(Engine::new(EngineConfig {
        cache_dir,
        platform,
        insecure_registries,
        progress,
        ..EngineConfig::default()
    })?)
}

/// The vulnerability report's format for a `--format` choice.
fn report_format(format: ScanFormat) -> tagwarden_engine::report::Format {
    use tagwarden_engine::report::Format;
    match format {
        ScanFormat::Table => Format::Table,
        ScanFormat::Json => Format::Json,
        ScanFormat::Sarif => Format::Sarif,
        ScanFormat::Cyclonedx => Format::CycloneDx,
    }
}

fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("tagwarden/layers"))
}

/// The text printed for `scanned`.
pub(crate) fn render(scanned: &ScannedImage, args: &ScanArgs) -> anyhow::Result<String> {
    Ok(match args.format {
        ScanFormat::Json => serde_json::to_string_pretty(scanned)? + "\n",
        ScanFormat::Cyclonedx => cyclonedx::sbom(scanned)?,
        ScanFormat::Sarif => anyhow::bail!("--format sarif reports vulnerabilities: add --db PATH"),
        ScanFormat::Table => {
            let mut text = summary(scanned);
            if args.list_packages {
                text.push('\n');
                text.push_str(&packages_table(scanned));
            }
            text
        }
    })
}

fn summary(scanned: &ScannedImage) -> String {
    let os = scanned
        .inventory
        .os
        .as_ref()
        .map_or_else(output::dash, |os| {
            os.pretty_name
                .clone()
                .unwrap_or_else(|| format!("{} {}", os.id, os.version_id.as_deref().unwrap_or("")))
        });
    let mut kinds = std::collections::BTreeMap::new();
    for package in &scanned.inventory.packages {
        *kinds.entry(package.kind.as_str()).or_insert(0) += 1;
    }
    let counts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    output::record(&[
        ("image", scanned.reference.clone()),
        (
            "digest",
            scanned.digest.clone().unwrap_or_else(output::dash),
        ),
        (
            "platform",
            scanned.platform.clone().unwrap_or_else(output::dash),
        ),
        ("os", os),
        ("layers", scanned.layers.len().to_string()),
        (
            "packages",
            format!(
                "{} ({})",
                scanned.inventory.packages.len(),
                counts.join(", ")
            ),
        ),
    ])
}

fn packages_table(scanned: &ScannedImage) -> String {
    let layer_index = |diff_id: Option<&str>| {
        scanned
            .layers
            .iter()
            .position(|l| Some(l.diff_id.as_str()) == diff_id)
            .map_or_else(output::dash, |i| i.to_string())
    };
    let rows = scanned.inventory.packages.iter().map(|p| {
        let source = match (&p.source_name, &p.source_version) {
            (Some(name), Some(version)) => format!("{name} {version}"),
            (Some(name), None) => name.clone(),
            _ => output::dash(),
        };
        vec![
            p.kind.to_string(),
            p.name.clone(),
            p.version.clone(),
            source,
            layer_index(p.layer.as_deref()),
            p.path.clone(),
        ]
    });
    output::table(
        &["KIND", "NAME", "VERSION", "SOURCE", "LAYER", "PATH"],
        rows,
    )
}

#[cfg(test)]
mod tests;
