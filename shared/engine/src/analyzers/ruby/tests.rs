use std::path::{Path, PathBuf};
use std::process::Command;

use super::gemspec::{self, Gem};
use super::*;

fn gem(name: &str, version: &str) -> Option<Gem> {
    Some(Gem {
        name: name.to_owned(),
        version: version.to_owned(),
    })
}

/// The head of `rake-13.0.6.gemspec` as Ruby 3.1 installs it, verbatim.
const RAKE: &str = "# -*- encoding: utf-8 -*-\n# stub: rake 13.0.6 ruby lib\n\n\
Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n\n  \
s.required_rubygems_version = Gem::Requirement.new(\">= 0\".freeze) if s.respond_to? :required_rubygems_version=\n  \
s.require_paths = [\"lib\".freeze]\n  s.rubygems_version = \"3.3.5\".freeze\nend\n";

/// The shape RubyGems 1.x generated, hand-written: `%q{}` names and a
/// `rubygems_version` line before anything else that says `version`.
const OLD_STYLE: &str = "Gem::Specification.new do |s|\n  s.name = %q{rack}\n  \
s.version = \"1.0.1\"\n  s.required_rubygems_version = Gem::Requirement.new(\">= 0\") \
if s.respond_to? :required_rubygems_version=\n  s.rubygems_version = %q{1.3.5}\nend\n";

#[test]
fn reads_generated_gemspecs() {
    assert_eq!(gemspec::parse(RAKE), gem("rake", "13.0.6"));
    assert_eq!(gemspec::parse(OLD_STYLE), gem("rack", "1.0.1"));
    let other_forms = "Gem::Specification.new do |spec|\n  spec.name = 'nokogiri'\n  \
        spec.version = Gem::Version.new(\"1.13.10\")\n  spec.platform = \"x86_64-linux\"\nend\n";
    assert_eq!(gemspec::parse(other_forms), gem("nokogiri", "1.13.10"));
}

#[test]
fn computed_versions_are_not_guessed() {
    let computed =
        "Gem::Specification.new do |s|\n  s.name = \"foo\"\n  s.version = Foo::VERSION\nend\n";
    assert_eq!(gemspec::parse(computed), None);
    let interpolated =
        "Gem::Specification.new do |s|\n  s.name = \"foo\"\n  s.version = \"#{V}\"\nend\n";
    assert_eq!(gemspec::parse(interpolated), None);
    let findings = RubyAnalyzer
        .analyze(&FileInput {
            path: "/gems/specifications/foo-1.gemspec",
            contents: computed.as_bytes(),
        })
        .expect("analyzes");
    assert!(findings.packages.is_empty());
    assert_eq!(
        findings.warnings,
        [
            "/gems/specifications/foo-1.gemspec: no literal gem name and version found; gem not reported"
        ]
    );
}

#[test]
fn wants_installed_specifications() {
    let meta = |path| FileMeta {
        path,
        size: 100,
        mode: 0o644,
    };
    for (path, want) in [
        ("/usr/local/bundle/specifications/rack-2.2.3.gemspec", true),
        (
            "/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec",
            true,
        ),
        (
            "/usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec",
            true,
        ),
        ("/src/app/myapp.gemspec", false),
        ("/usr/local/bundle/gems/rack-2.2.3/rack.gemspec", false),
    ] {
        assert_eq!(RubyAnalyzer.wants(&meta(path)), want, "{path}");
    }
}

/// Every installed gemspec of this machine's Ruby, when there is one.
fn installed_gemspecs() -> Vec<PathBuf> {
    let roots = [
        "/usr/lib/ruby/gems",
        "/usr/share/rubygems-integration",
        "/var/lib/gems",
    ];
    let mut found = Vec::new();
    for root in roots {
        let Ok(versions) = std::fs::read_dir(root) else {
            continue;
        };
        for version in versions.flatten() {
            let specs = version.path().join("specifications");
            for dir in [specs.clone(), specs.join("default")] {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                found.extend(
                    entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "gemspec")),
                );
            }
        }
    }
    found.sort();
    found
}

/// What RubyGems itself loads from each file: `name version` lines.
fn rubygems_says(paths: &[PathBuf]) -> Option<Vec<String>> {
    let script =
        "ARGV.each { |p| s = Gem::Specification.load(p); puts \"#{s.name} #{s.version}\" }";
    let out = Command::new("ruby")
        .arg("-e")
        .arg(script)
        .args(paths)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn agrees_with_rubygems_on_every_installed_gemspec() {
    let paths = installed_gemspecs();
    let Some(want) = rubygems_says(&paths).filter(|_| !paths.is_empty()) else {
        eprintln!("ruby not installed; real gemspec test skipped");
        return;
    };
    let ours: Vec<String> = paths
        .iter()
        .map(|path: &PathBuf| {
            let contents = std::fs::read(path).expect("read gemspec");
            let at = path.to_str().expect("utf-8 path");
            let findings = RubyAnalyzer
                .analyze(&FileInput {
                    path: at,
                    contents: &contents,
                })
                .expect("analyzes");
            let [package] = findings.packages.as_slice() else {
                panic!("{at}: {findings:?}");
            };
            assert_eq!(
                (package.kind, package.path.as_str()),
                (PackageKind::Gem, at)
            );
            format!("{} {}", package.name, package.version)
        })
        .collect();
    assert_eq!(ours, want);
    // Ruby 3.1 as Debian installs it ships rake and, as default gems,
    // openssl and about sixty more: make sure the walk found them.
    if Path::new("/usr/lib/ruby/gems/3.1.0/specifications/default").exists() {
        assert!(ours.len() > 60, "{}", ours.len());
        assert!(ours.iter().any(|l| l == "openssl 3.0.1"), "{ours:?}");
    }
}
