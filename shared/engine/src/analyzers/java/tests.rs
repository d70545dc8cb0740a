use std::io::{Cursor, Write};

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use super::metadata::{self, Coordinates};
use super::*;

fn coordinates(name: &str, version: &str) -> Coordinates {
    Coordinates {
        name: name.to_owned(),
        version: version.to_owned(),
    }
}

fn found(findings: &Findings) -> Vec<(&str, &str, &str)> {
    findings
        .packages
        .iter()
        .inspect(|p| assert_eq!(p.kind, PackageKind::Maven))
        .map(|p| (p.path.as_str(), p.name.as_str(), p.version.as_str()))
        .collect()
}

fn analyze(path: &str, contents: &[u8]) -> Findings {
    JavaAnalyzer
        .analyze(&FileInput { path, contents })
        .expect("analyzes")
}

/// The `pom.properties` of Debian's `commons-io.jar` and of
/// `commons-lang3.jar` (keys in another order, no comment), verbatim.
const COMMONS_IO_POM: &str =
    "#Created by Apache Maven 3.6.3\ngroupId=commons-io\nartifactId=commons-io\nversion=2.11.0\n";
const COMMONS_LANG3_POM: &str =
    "artifactId=commons-lang3\ngroupId=org.apache.commons\nversion=3.12.0\n";

#[test]
fn reads_pom_properties() {
    assert_eq!(
        metadata::pom_properties(COMMONS_IO_POM),
        Some(coordinates("commons-io:commons-io", "2.11.0"))
    );
    assert_eq!(
        metadata::pom_properties(COMMONS_LANG3_POM),
        Some(coordinates("org.apache.commons:commons-lang3", "3.12.0"))
    );
    assert_eq!(
        metadata::pom_properties("groupId = a.b\nartifactId: c\nversion=1.0\n"),
        Some(coordinates("a.b:c", "1.0"))
    );
    for broken in [
        "groupId=a\nartifactId=b\nversion=${project.version}\n",
        "groupId=a\nversion=1.0\n",
        "groupId=a\nartifactId=b\nversion=\n",
    ] {
        assert_eq!(metadata::pom_properties(broken), None, "{broken}");
    }
}

/// The head of Debian's `commons-io.jar` manifest, verbatim, continuation
/// lines included.
const COMMONS_IO_MANIFEST: &str = "Manifest-Version: 1.0\r\nCreated-By: Apache Maven Bundle Plugin\r\n\
Specification-Title: Apache Commons IO\r\nSpecification-Version: 2.11\r\n\
Implementation-Title: Apache Commons IO\r\nImplementation-Version: 2.11.0\r\n\
Implementation-Vendor-Id: commons-io\r\n\
Bundle-Description: The Apache Commons IO library contains utility class\r\n \
es, stream implementations, file filters,file comparators, endian trans\r\n \
formation classes, and much more.\r\nBundle-SymbolicName: org.apache.commons.io\r\n\
Bundle-Version: 2.11.0\r\n\r\nName: org/apache/commons/io/\r\nImplementation-Version: 9\r\n";

/// Debian's `javax.inject.jar` manifest (no `pom.properties`), verbatim.
const JAVAX_INJECT_MANIFEST: &str = "Manifest-Version: 1.0\nAnt-Version: Apache Ant 1.9.9\n\
Bundle-Localization: plugin\nBundle-ManifestVersion: 2\n\
Bundle-Name: Atinject Dependency Injection Annotations\n\
Bundle-RequiredExecutionEnvironment: J2SE-1.5\nBundle-SymbolicName: javax.inject\n\
Bundle-Vendor: Debian.org\nBundle-Version: 1.0.0\n\
Created-By: 1.8.0_151-8u151-b12-1-b12 (Oracle Corporation)\n\
Export-Package: javax.inject;version=\"1.0.0\"\n\n";

#[test]
fn guesses_coordinates_from_manifests() {
    let io = coordinates("commons-io:commons-io", "2.11.0");
    assert_eq!(
        metadata::manifest(COMMONS_IO_MANIFEST, "commons-io.jar"),
        Some(io.clone())
    );
    assert_eq!(
        metadata::manifest(COMMONS_IO_MANIFEST, "commons-io-2.11.0.jar"),
        Some(io)
    );
    assert_eq!(
        metadata::manifest(JAVAX_INJECT_MANIFEST, "javax.inject.jar"),
        Some(coordinates("javax.inject", "1.0.0"))
    );
    assert_eq!(
        metadata::manifest(
            "Bundle-SymbolicName: a.b;singleton:=true\nBundle-Version: 2\n",
            "x.jar"
        ),
        Some(coordinates("a.b", "2"))
    );
    // Debian's aopalliance.jar: a manifest that names nothing.
    let aopalliance = "Manifest-Version: 1.0\nAnt-Version: Apache Ant 1.10.12\nCreated-By: 17.0.5+8-Debian-2 (Debian)\n\n";
    assert_eq!(metadata::manifest(aopalliance, "aopalliance.jar"), None);
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        writer
            .start_file(*name, SimpleFileOptions::default())
            .expect("entry");
        writer.write_all(bytes).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

fn jar_with_pom(group: &str, artifact: &str, pom: &str) -> Vec<u8> {
    zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n\n"),
        (
            &format!("META-INF/maven/{group}/{artifact}/pom.properties"),
            pom.as_bytes(),
        ),
        ("org/example/A.class", b"\xca\xfe\xba\xbe"),
    ])
}

#[test]
fn reads_nested_archives_with_their_paths() {
    let io = jar_with_pom("commons-io", "commons-io", COMMONS_IO_POM);
    let lang = jar_with_pom("org.apache.commons", "commons-lang3", COMMONS_LANG3_POM);
    let inject = zip_of(&[("META-INF/MANIFEST.MF", JAVAX_INJECT_MANIFEST.as_bytes())]);
    let war = zip_of(&[
        (
            "META-INF/maven/com.example/shop/pom.properties",
            b"groupId=com.example\nartifactId=shop\nversion=1.4\n",
        ),
        ("WEB-INF/lib/", b""),
        ("WEB-INF/lib/commons-io-2.11.0.jar", &io),
        ("WEB-INF/lib/javax.inject.jar", &inject),
    ]);
    // Three archive levels are read (the ear, deep.jar, boot.jar); the
    // jar inside boot.jar would be a fourth.
    let boot = zip_of(&[("BOOT-INF/lib/commons-lang3.jar", &lang)]);
    let too_deep = zip_of(&[("lib/boot.jar", &boot)]);
    let ear = zip_of(&[
        ("shop.war", &war),
        ("lib/lang.jar", &lang),
        ("lib/deep.jar", &too_deep),
    ]);

    let findings = analyze("/opt/app/shop.ear", &ear);
    assert_eq!(
        found(&findings),
        [
            ("/opt/app/shop.ear!/shop.war", "com.example:shop", "1.4"),
            (
                "/opt/app/shop.ear!/shop.war!/WEB-INF/lib/commons-io-2.11.0.jar",
                "commons-io:commons-io",
                "2.11.0"
            ),
            (
                "/opt/app/shop.ear!/shop.war!/WEB-INF/lib/javax.inject.jar",
                "javax.inject",
                "1.0.0"
            ),
            (
                "/opt/app/shop.ear!/lib/lang.jar",
                "org.apache.commons:commons-lang3",
                "3.12.0"
            ),
        ]
    );
    assert_eq!(
        findings.warnings,
        [
            "/opt/app/shop.ear!/lib/deep.jar!/lib/boot.jar!/BOOT-INF/lib/commons-lang3.jar: \
          archives nested more than 3 deep are not read"
        ]
    );
}

#[test]
fn broken_archives() {
    let err = JavaAnalyzer
        .analyze(&FileInput {
            path: "/app.jar",
            contents: b"not a zip",
        })
        .expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("java could not read /app.jar: not a zip archive"),
        "{err}"
    );
    let outer = zip_of(&[("WEB-INF/lib/broken.jar", b"not a zip")]);
    let findings = analyze("/app.war", &outer);
    assert!(findings.packages.is_empty());
    assert_eq!(findings.warnings.len(), 1);
    assert!(
        findings.warnings[0].starts_with("/app.war!/WEB-INF/lib/broken.jar: not a zip archive")
    );
}

#[test]
fn wants_java_archives() {
    let meta = |path, size| FileMeta {
        path,
        size,
        mode: 0o644,
    };
    assert!(JavaAnalyzer.wants(&meta("/app/app.jar", 10)));
    assert!(JavaAnalyzer.wants(&meta("/srv/ROOT.WAR", 10)));
    assert!(JavaAnalyzer.wants(&meta("/srv/app.ear", 10)));
    assert!(!JavaAnalyzer.wants(&meta("/srv/app.jar", 0)));
    assert!(!JavaAnalyzer.wants(&meta("/srv/app.jar.sha1", 10)));
}

/// Real jars from Debian's Maven package, when it is installed: a plain
/// one, a shaded one bundling four libraries, and one with only a
/// manifest.
#[test]
fn reads_real_jars_from_debians_maven() {
    let dir = std::path::Path::new("/usr/share/maven/lib");
    let read = |name: &str| std::fs::read(dir.join(name)).ok();
    let (Some(io), Some(shaded), Some(inject)) = (
        read("commons-io.jar"),
        read("wagon-http-shaded.jar"),
        read("javax.inject.jar"),
    ) else {
        eprintln!("Debian's maven package not installed; real jar test skipped");
        return;
    };
    let at = "/usr/share/maven/lib/commons-io.jar";
    assert_eq!(
        found(&analyze(at, &io)),
        [(at, "commons-io:commons-io", "2.11.0")]
    );

    let at = "/usr/share/maven/lib/wagon-http-shaded.jar";
    assert_eq!(
        found(&analyze(at, &shaded)),
        [
            (at, "commons-codec:commons-codec", "1.15"),
            (at, "org.apache.httpcomponents:httpclient", "4.5.14"),
            (at, "org.apache.httpcomponents:httpcore", "4.4.16"),
            (at, "org.apache.maven.wagon:wagon-http-shared", "3.5.3"),
            (at, "org.apache.maven.wagon:wagon-http", "3.5.3"),
        ]
    );

    let at = "/usr/share/maven/lib/javax.inject.jar";
    assert_eq!(
        found(&analyze(at, &inject)),
        [(at, "javax.inject", "1.0.0")]
    );
}
