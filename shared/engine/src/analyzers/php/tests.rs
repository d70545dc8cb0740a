use super::*;

/// Real lock files from osv-scanner's and Trivy's test data, read where
/// they sit beside the repository.
fn fixture(relative: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/vulndata/fixtures/{relative}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn analyze(path: &str, contents: &[u8]) -> Vec<(String, String)> {
    PhpAnalyzer
        .analyze(&FileInput { path, contents })
        .expect("analyzes")
        .packages
        .into_iter()
        .inspect(|p| assert_eq!((p.kind, p.path.as_str()), (PackageKind::Composer, path)))
        .map(|p| (p.name, p.version))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn reads_real_lock_files() {
    let cases = [
        (
            "osv-scanner/source-testdata/locks-many/composer.lock",
            vec![("sentry/sdk", "2.0.4")],
        ),
        (
            "osv-scanner/source-testdata/locks-insecure/composer.lock",
            vec![("league/flysystem", "1.0.8")],
        ),
        (
            "trivy/integration/repo/composer/composer.lock",
            vec![("guzzlehttp/guzzle", "7.4.4"), ("guzzlehttp/psr7", "1.8.3")],
        ),
    ];
    for (relative, want) in cases {
        assert_eq!(
            analyze("/var/www/composer.lock", &fixture(relative)),
            pairs(&want),
            "{relative}"
        );
    }
}

#[test]
fn development_packages_are_reported_too() {
    let lock = br#"{"packages": [{"name": "monolog/monolog", "version": "2.9.1"}],
        "packages-dev": [{"name": "phpunit/phpunit", "version": "9.6.8"}]}"#;
    assert_eq!(
        analyze("/app/composer.lock", lock),
        pairs(&[("monolog/monolog", "2.9.1"), ("phpunit/phpunit", "9.6.8")])
    );
    let no_dev = br#"{"packages": [{"name": "a/b", "version": "v1.0.0"}], "packages-dev": null}"#;
    assert_eq!(
        analyze("/app/composer.lock", no_dev),
        pairs(&[("a/b", "v1.0.0")])
    );
}

/// Hand-written in the shapes Composer 1 and 2 write, with the packages
/// of Trivy's lock file above (no real `installed.json` is at hand).
#[test]
fn reads_installed_json_of_composer_1_and_2() {
    let v1 = br#"[
        {"name": "guzzlehttp/guzzle", "version": "7.4.4", "version_normalized": "7.4.4.0",
         "type": "library", "installation-source": "dist"},
        {"name": "guzzlehttp/psr7", "version": "1.8.3", "version_normalized": "1.8.3.0"}
    ]"#;
    let v2 = br#"{"packages": [
        {"name": "guzzlehttp/guzzle", "version": "7.4.4", "version_normalized": "7.4.4.0",
         "install-path": "../guzzlehttp/guzzle"},
        {"name": "guzzlehttp/psr7", "version": "1.8.3", "install-path": "../guzzlehttp/psr7"}
    ], "dev": true, "dev-package-names": []}"#;
    let want = pairs(&[("guzzlehttp/guzzle", "7.4.4"), ("guzzlehttp/psr7", "1.8.3")]);
    let path = "/var/www/vendor/composer/installed.json";
    assert_eq!(analyze(path, v1), want);
    assert_eq!(analyze(path, v2), want);
}

#[test]
fn broken_files_are_errors() {
    for (path, contents) in [
        (
            "/app/composer.lock",
            &b"{\"packages\": [{\"name\": 1}]}"[..],
        ),
        (
            "/app/vendor/composer/installed.json",
            b"{\"installed\": []}",
        ),
    ] {
        let err = PhpAnalyzer
            .analyze(&FileInput { path, contents })
            .expect_err("refused");
        assert!(
            err.to_string()
                .starts_with(&format!("php could not read {path}: ")),
            "{err}"
        );
    }
}

#[test]
fn wants_lock_files_and_installed_records() {
    let meta = |path| FileMeta {
        path,
        size: 100,
        mode: 0o644,
    };
    for (path, want) in [
        ("/var/www/html/composer.lock", true),
        ("/var/www/html/vendor/composer/installed.json", true),
        ("/var/www/html/vendor/acme/lib/composer.lock", false),
        ("/var/www/html/installed.json", false),
    ] {
        assert_eq!(PhpAnalyzer.wants(&meta(path)), want, "{path}");
    }
}
