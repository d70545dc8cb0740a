//! The two places a Java archive names itself: the `pom.properties` Maven
//! writes under `META-INF/maven/<groupId>/<artifactId>/`, and the
//! `META-INF/MANIFEST.MF` every jar has.

use std::collections::HashMap;

/// Maven coordinates: `group:artifact` and a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Coordinates {
    pub(crate) name: String,
    pub(crate) version: String,
}

/// Reads `groupId`, `artifactId` and `version` from a `pom.properties`.
/// All three must be present and resolved: a build that left
/// `${project.version}` in place names no release.
///
/// Java properties syntax is read as Maven writes it: `key=value` lines
/// and `#` comments; `:` separators, `!` comments and escapes are
/// accepted, line continuations are not.
pub(crate) fn pom_properties(text: &str) -> Option<Coordinates> {
    let mut props = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        if let Some((key, value)) = line.split_once(['=', ':']) {
            props.insert(
                key.trim(),
                value.trim().replace("\\:", ":").replace("\\=", "="),
            );
        }
    }
    let field = |key| {
        props
            .get(key)
            .filter(|v: &&String| !v.is_empty() && !v.contains("${"))
            .cloned()
    };
    Some(Coordinates {
        name: format!("{}:{}", field("groupId")?, field("artifactId")?),
        version: field("version")?,
    })
}

/// The main section of a `MANIFEST.MF`: `Name: value` headers, long
/// values continued on lines that start with one space.
fn manifest_headers(text: &str) -> HashMap<String, String> {
    let mut headers: HashMap<String, String> = HashMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.is_empty() {
            break; // per-entry sections follow; they do not name the jar
        }
        if let Some(continued) = line.strip_prefix(' ') {
            if let Some(value) = last.as_ref().and_then(|k| headers.get_mut(k)) {
                value.push_str(continued);
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_owned();
            headers.insert(name.clone(), value.trim().to_owned());
            last = Some(name);
        }
    }
    headers
}

/// Best-effort coordinates from a manifest, for jars without a
/// `pom.properties`. Manifests do not carry Maven coordinates, so this
/// guesses, and the guess may not be what advisories call the artifact:
///
/// - version: `Implementation-Version`, else `Bundle-Version`, else
///   `Specification-Version`; no version, no package.
/// - with an `Implementation-Vendor-Id` (which Maven sets to the group
///   id): `vendor-id:artifact`, the artifact being the file name without
///   `.jar` and without a trailing `-<version>`;
/// - else the OSGi `Bundle-SymbolicName` (`javax.inject`), else the
///   `Implementation-Title`, as a name without a group, which no Maven
///   advisory will match.
pub(crate) fn manifest(text: &str, file_name: &str) -> Option<Coordinates> {
    let headers = manifest_headers(text);
    let header = |key: &str| headers.get(key).filter(|v| !v.is_empty()).cloned();
    let version = header("Implementation-Version")
        .or_else(|| header("Bundle-Version"))
        .or_else(|| header("Specification-Version"))?;
    let name = if let Some(group) = header("Implementation-Vendor-Id") {
        let stem = file_name
            .rsplit_once('.')
            .map_or(file_name, |(stem, _)| stem);
        let artifact = stem.strip_suffix(&format!("-{version}")).unwrap_or(stem);
        format!("{group}:{artifact}")
    } else if let Some(symbolic) = header("Bundle-SymbolicName") {
        // `org.example.bundle;singleton:=true`: attributes follow a `;`.
        symbolic.split(';').next().unwrap_or("").trim().to_owned()
    } else {
        header("Implementation-Title")?
    };
    (!name.is_empty()).then_some(Coordinates { name, version })
}
