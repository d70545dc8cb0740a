//! Package URLs (https://github.com/package-url/purl-spec) for report
//! components, so other tools can join our findings with their own data.

use crate::inventory::{OsRelease, Package, PackageKind};

/// The purl of a package, with the distribution for OS packages
/// (`pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb10u3?arch=amd64&distro=debian-10`).
pub fn purl(package: &Package, os: Option<&OsRelease>) -> String {
    let version = encode(&package.version);
    let (kind, path) = match package.kind {
        PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => {
            let kind = match package.kind {
                PackageKind::Deb => "deb",
                PackageKind::Apk => "apk",
                _ => "rpm",
            };
            let vendor = os.map_or("unknown", |o| o.id.as_str());
            (
                kind,
                format!("{}/{}", encode(vendor), encode(&package.name)),
            )
        }
        PackageKind::Python => (
            "pypi",
            encode(&crate::advisory::ecosystem::pep503(&package.name)),
        ),
        PackageKind::Npm => ("npm", namespaced(&package.name, '/')),
        PackageKind::Go => ("golang", namespaced(&package.name, '/')),
        PackageKind::Cargo => ("cargo", encode(&package.name)),
        PackageKind::Maven => ("maven", namespaced(&package.name, ':')),
        PackageKind::Gem => ("gem", encode(&package.name)),
        PackageKind::Composer => ("composer", namespaced(&package.name, '/')),
    };
    let mut out = format!("pkg:{kind}/{path}");
    if !version.is_empty() {
        out.push('@');
        out.push_str(&version);
    }
    let mut qualifiers = Vec::new();
    if let Some(arch) = &package.arch {
        qualifiers.push(format!("arch={}", encode(arch)));
    }
    if let Some(os) = os.filter(|_| package.kind.is_os()) {
        let release = os.version_id.as_deref().unwrap_or("");
        qualifiers.push(format!("distro={}-{}", encode(&os.id), encode(release)));
    }
    if !qualifiers.is_empty() {
        out.push('?');
        out.push_str(&qualifiers.join("&"));
    }
    out
}

/// `@scope/name`, `group:artifact`, `github.com/a/b`: every segment
/// encoded, joined by `/`.
fn namespaced(name: &str, separator: char) -> String {
    name.split(separator)
        .map(encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(kind: PackageKind, name: &str, version: &str) -> Package {
        Package {
            kind,
            name: name.into(),
            version: version.into(),
            source_name: None,
            source_version: None,
            arch: None,
            path: "/".into(),
            layer: None,
        }
    }

    #[test]
    fn purls_per_kind() {
        let debian = OsRelease {
            id: "debian".into(),
            version_id: Some("10".into()),
            ..OsRelease::default()
        };
        let mut deb = package(PackageKind::Deb, "libssl1.1", "1.1.1n-0+deb10u3");
        deb.arch = Some("amd64".into());
        assert_eq!(
            purl(&deb, Some(&debian)),
            "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb10u3?arch=amd64&distro=debian-10"
        );
        let npm = package(PackageKind::Npm, "@babel/core", "7.0.0");
        assert_eq!(purl(&npm, None), "pkg:npm/%40babel/core@7.0.0");
        let py = package(PackageKind::Python, "Jinja2", "2.10");
        assert_eq!(purl(&py, None), "pkg:pypi/jinja2@2.10");
        let mvn = package(
            PackageKind::Maven,
            "org.apache.commons:commons-compress",
            "1.21",
        );
        assert_eq!(
            purl(&mvn, None),
            "pkg:maven/org.apache.commons/commons-compress@1.21"
        );
        let deb_epoch = package(PackageKind::Deb, "openssh-client", "1:8.9p1-3");
        assert!(purl(&deb_epoch, None).ends_with("@1%3A8.9p1-3"));
    }
}
