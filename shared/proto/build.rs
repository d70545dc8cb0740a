//! Compiles every `.proto` under the workspace's `proto/` directory with
//! protox, a protobuf compiler written in Rust, so a machine with only cargo
//! can build Tagwarden (no system `protoc`).
//!
//! Paths are found at run time and reported to cargo relative to this
//! package: several clones may share one target directory (CI and the local
//! demo do), and an absolute path would make one clone's build watch, and
//! compile, another clone's contracts.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let package = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let relative_root = Path::new("../../proto");
    let root = package.join(relative_root);
    let mut files = Vec::new();
    collect_protos(&root, &mut files)?;
    files.sort();

    let descriptors = protox::compile(&files, [&root])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;

    println!("cargo:rerun-if-changed={}", relative_root.display());
    for file in &files {
        let relative = relative_root.join(file.strip_prefix(&root)?);
        println!("cargo:rerun-if-changed={}", relative.display());
    }
    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
