use super::*;

fn pairs(packages: &[Package]) -> Vec<(&str, &str)> {
    let mut out: Vec<_> = packages.iter().map(|p| (&*p.name, &*p.version)).collect();
    out.sort();
    out
}

#[test]
fn package_json_needs_name_and_version() {
    let pkg = parse_package_json(br#"{"name": "lodash", "version": "4.17.11"}"#).unwrap();
    assert_eq!(
        pkg.map(|p| (p.name, p.version)),
        Some(("lodash".into(), "4.17.11".into()))
    );
    assert_eq!(parse_package_json(br#"{"type": "module"}"#).unwrap(), None);
    assert_eq!(
        parse_package_json(br#"{"name": "x", "version": 3}"#).unwrap(),
        None
    );
    assert!(
        parse_package_json(b"{")
            .unwrap_err()
            .starts_with("invalid JSON")
    );
}

#[test]
fn wants_manifests_at_package_roots_and_project_lockfiles() {
    for (path, want) in [
        ("/app/node_modules/lodash/package.json", true),
        ("/app/node_modules/@babel/core/package.json", true),
        (
            "/app/node_modules/mkdirp/node_modules/minimist/package.json",
            true,
        ),
        ("/app/node_modules/lodash/test/fixtures/package.json", false),
        ("/app/node_modules/@babel/package.json", false),
        ("/app/node_modules/.bin/package.json", false),
        ("/app/package.json", false),
        ("/app/package-lock.json", true),
        ("/app/npm-shrinkwrap.json", true),
        ("/app/node_modules/.package-lock.json", false),
        ("/app/node_modules/x/package-lock.json", false),
    ] {
        let meta = FileMeta {
            path,
            size: 10,
            mode: 0o644,
        };
        assert_eq!(NpmAnalyzer.wants(&meta), want, "{path}");
    }
}

#[test]
fn lockfile_v1_nested_dependencies() {
    let lock = br#"{
      "name": "app", "version": "1.0.0", "lockfileVersion": 1,
      "dependencies": {
        "minimist": {"version": "1.2.0"},
        "mkdirp": {"version": "0.5.1", "requires": {"minimist": "0.0.8"},
          "dependencies": {"minimist": {"version": "0.0.8"}}},
        "jest": {"version": "26.0.0", "dev": true},
        "local": {"version": "file:../local"},
        "fromgit": {"version": "git+https://example.invalid/x.git#abc"},
        "aliased": {"version": "npm:lodash@4.17.11"}
      }
    }"#;
    let packages = parse_lockfile(lock).unwrap();
    assert_eq!(
        pairs(&packages),
        [
            ("lodash", "4.17.11"),
            ("minimist", "0.0.8"),
            ("minimist", "1.2.0"),
            ("mkdirp", "0.5.1")
        ]
    );
}

#[test]
fn lockfile_v3_packages_map() {
    let lock = br#"{
      "name": "app", "lockfileVersion": 3,
      "packages": {
        "": {"name": "app", "version": "1.0.0", "dependencies": {"jquery": "3.3.1"}},
        "node_modules/jquery": {"version": "3.3.1"},
        "node_modules/@types/node": {"version": "20.1.0"},
        "node_modules/mkdirp/node_modules/minimist": {"version": "0.0.8"},
        "node_modules/alias": {"name": "lodash", "version": "4.17.11"},
        "node_modules/ws-member": {"resolved": "packages/member", "link": true},
        "packages/member": {"name": "member", "version": "0.1.0"},
        "node_modules/typescript": {"version": "5.0.0", "dev": true}
      }
    }"#;
    let packages = parse_lockfile(lock).unwrap();
    assert_eq!(
        pairs(&packages),
        [
            ("@types/node", "20.1.0"),
            ("jquery", "3.3.1"),
            ("lodash", "4.17.11"),
            ("minimist", "0.0.8")
        ]
    );
}

#[test]
fn lockfile_v2_prefers_packages_over_dependencies() {
    let lock = br#"{"lockfileVersion": 2,
      "packages": {"": {}, "node_modules/a": {"version": "1.0.0"}},
      "dependencies": {"a": {"version": "9.9.9"}}}"#;
    assert_eq!(pairs(&parse_lockfile(lock).unwrap()), [("a", "1.0.0")]);
}

#[test]
fn lockfile_v3_without_packages_is_an_error() {
    let err = parse_lockfile(br#"{"lockfileVersion": 3}"#).unwrap_err();
    assert_eq!(err, "lockfileVersion 3 without a \"packages\" map");
}

#[test]
fn installed_tree_wins_over_its_lockfile() {
    let at = |name: &str, path: &str| Package {
        path: path.into(),
        ..npm_package(name.into(), "1.0.0".into())
    };
    let mut packages = vec![
        at("a", "/app/node_modules/a/package.json"),
        at("a", "/app/package-lock.json"),
        at("phantom", "/app/package-lock.json"),
        at("b", "/other/package-lock.json"),
    ];
    prefer_installed(&mut packages);
    let paths: Vec<_> = packages.iter().map(|p| (&*p.name, &*p.path)).collect();
    assert_eq!(
        paths,
        [
            ("a", "/app/node_modules/a/package.json"),
            ("b", "/other/package-lock.json")
        ]
    );
}
