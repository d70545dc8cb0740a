//! What the per-scheme test tables share: checking a table both ways round,
//! and running the same table through a reference implementation installed
//! on the machine (dpkg, rpm, Python's `packaging`, Maven, node-semver, Go,
//! Ruby) so our order is checked against the tool that defines it.

use std::cmp::Ordering;
use std::io::{ErrorKind, Write};
use std::process::{Command, Stdio};

use super::VersionScheme;

/// One row of a table: `a` compared with `b` must give the ordering.
pub(crate) type Case = (&'static str, &'static str, Ordering);

pub(crate) const LT: Ordering = Ordering::Less;
pub(crate) const EQ: Ordering = Ordering::Equal;
pub(crate) const GT: Ordering = Ordering::Greater;

/// Checks every case in both directions and reports every failure at once,
/// so one run shows the whole picture rather than the first mismatch.
pub(crate) fn assert_table(scheme: VersionScheme, cases: &[Case]) {
    let mut failures = Vec::new();
    for &(a, b, want) in cases {
        for (x, y, want) in [(a, b, want), (b, a, want.reverse())] {
            match scheme.compare(x, y) {
                Ok(got) if got == want => {}
                got => failures.push(format!("{x} vs {y}: want {want:?}, got {got:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{scheme}:\n{}", failures.join("\n"));
    assert_total_order(scheme, cases);
}

/// Checks that the order is total over every version in the table, as
/// sorting and range matching assume: consistent both ways round and
/// transitive across every triple.
fn assert_total_order(scheme: VersionScheme, cases: &[Case]) {
    let versions: Vec<_> = cases
        .iter()
        .flat_map(|(a, b, _)| [a, b])
        .map(|v| scheme.parse(v).expect("table versions parse"))
        .collect();
    let order = |x: &super::Version, y: &super::Version| x.compare(y).expect("same scheme");
    for x in &versions {
        for y in &versions {
            assert_eq!(order(x, y), order(y, x).reverse(), "{scheme}: {x} vs {y}");
            if order(x, y) == Ordering::Greater {
                continue;
            }
            for z in &versions {
                if order(y, z) != Ordering::Greater {
                    assert_ne!(
                        order(x, z),
                        Ordering::Greater,
                        "{scheme}: {x} <= {y} <= {z}"
                    );
                }
            }
        }
    }
}

/// Checks that each input is refused with an error naming the scheme.
pub(crate) fn assert_rejects(scheme: VersionScheme, inputs: &[&str]) {
    for input in inputs {
        match scheme.parse(input) {
            Err(super::VersionError::Invalid { scheme: s, .. }) if s == scheme => {}
            other => panic!("{scheme} accepted {input:?}: {other:?}"),
        }
    }
}

/// Feeds the cases to a reference program, one `a b` line each on standard
/// input, reads one `-1`, `0` or `1` line back per case, and asserts that
/// the answers agree with the table and with us.
///
/// A program that prints `absent` (the scripts do when the library they
/// need is missing) or is not installed at all skips the check with a note
/// on standard error; a program that runs and fails fails the test.
pub(crate) fn assert_reference(
    scheme: VersionScheme,
    tool: &str,
    program: &str,
    args: &[&str],
    cases: &[Case],
) {
    let input: String = cases.iter().map(|(a, b, _)| format!("{a} {b}\n")).collect();
    let Some(out) = run(program, args, &input) else {
        return;
    };
    if out.trim() == "absent" {
        eprintln!("note: {tool} is not installed; reference check skipped");
        return;
    }
    let answers: Vec<Ordering> = out.lines().filter_map(parse_sign).collect();
    assert_eq!(answers.len(), cases.len(), "{tool} answered:\n{out}");
    assert_agrees(scheme, tool, cases, &answers);
}

/// Runs a program with the given standard input and returns its output.
pub(crate) fn run(program: &str, args: &[&str], stdin: &str) -> Option<String> {
    let spawned = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            eprintln!("note: {program} is not installed; reference check skipped");
            return None;
        }
        Err(e) => panic!("could not start {program}: {e}"),
    };
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin.as_bytes())
        .expect("write to reference");
    drop(pipe);
    let out = child.wait_with_output().expect("reference runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} {args:?} failed: {stderr}");
    Some(String::from_utf8(out.stdout).expect("utf-8 output"))
}

/// Reads `-1`/`0`/`1` (and the `<`, `==`, `>` some tools print).
pub(crate) fn parse_sign(line: &str) -> Option<Ordering> {
    match line.trim() {
        "-1" | "<" => Some(Ordering::Less),
        "0" | "==" => Some(Ordering::Equal),
        "1" | ">" => Some(Ordering::Greater),
        _ => None,
    }
}

/// Asserts that the reference agrees with both the table and our code, so a
/// wrong expectation in a table is caught as surely as a wrong comparison.
pub(crate) fn assert_agrees(
    scheme: VersionScheme,
    tool: &str,
    cases: &[Case],
    answers: &[Ordering],
) {
    let mut failures = Vec::new();
    for (&(a, b, want), &reference) in cases.iter().zip(answers) {
        let ours = scheme.compare(a, b);
        if ours != Ok(reference) || want != reference {
            failures.push(format!(
                "{a} vs {b}: {tool} says {reference:?}, table says {want:?}, we say {ours:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{scheme} vs {tool}:\n{}",
        failures.join("\n")
    );
}
