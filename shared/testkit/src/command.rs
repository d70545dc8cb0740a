//! Running the image tools, panicking with their stderr on failure.

use std::ffi::OsStr;
use std::process::Command;

/// Runs `program` with `args` and returns its stdout.
pub(crate) fn run<I, S>(program: &str, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let shown = args
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new(program)
        .args(&args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}); install it with infra/local/deps.sh")
        });
    if !output.status.success() {
        panic!(
            "`{program} {shown}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8_lossy(&output.stdout).into_owned()
}
