//! The inventory as a CycloneDX 1.5 SBOM, written by the `cyclonedx-bom`
//! crate: the image as the BOM's subject, the OS as an `operating-system`
//! component, and one `library` component per package with its package
//! URL and Tagwarden properties (layer diff id, path, source package).

use cyclonedx_bom::external_models::normalized_string::NormalizedString;
use cyclonedx_bom::external_models::uri::Purl;
use cyclonedx_bom::models::bom::Bom;
use cyclonedx_bom::models::bom::SpecVersion;
use cyclonedx_bom::models::component::{Classification, Component, Components};
use cyclonedx_bom::models::metadata::Metadata;
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::models::tool::{Tool, Tools};
use tagwarden_engine::engine::ScannedImage;
use tagwarden_engine::inventory::{OsRelease, Package, PackageKind};

/// The SBOM as pretty JSON.
pub(crate) fn sbom(scanned: &ScannedImage) -> anyhow::Result<String> {
    let os = scanned.inventory.os.as_ref();
    let mut components: Vec<Component> = Vec::new();
    if let Some(os) = os {
        let version = os.version_id.as_deref().unwrap_or("");
        components.push(Component::new(
            Classification::OperatingSystem,
            &os.id,
            version,
            Some(format!("os:{}@{version}", os.id)),
        ));
    }
    for (i, package) in scanned.inventory.packages.iter().enumerate() {
        components.push(component(package, os, i));
    }
    let mut image = Component::new(
        Classification::Container,
        &scanned.reference,
        "",
        Some("image".to_owned()),
    );
    image.version = scanned.digest.as_deref().map(NormalizedString::new);
    let bom = Bom {
        spec_version: SpecVersion::V1_5,
        metadata: Some(Metadata {
            tools: Some(Tools::List(vec![Tool {
                name: Some(NormalizedString::new("tagwardenctl")),
                version: Some(NormalizedString::new(env!("CARGO_PKG_VERSION"))),
                ..Tool::default()
            }])),
            component: Some(image),
            ..Metadata::default()
        }),
        components: Some(Components(components)),
        ..Bom::default()
    };
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)?;
    Ok(String::from_utf8(out)? + "\n")
}

fn component(package: &Package, os: Option<&OsRelease>, index: usize) -> Component {
    let purl = purl(package, os);
    let mut component = Component::new(
        Classification::Library,
        &package.name,
        &package.version,
        Some(format!("{purl}#{index}")),
    );
    component.purl = purl.parse::<Purl>().ok();
    let mut properties = vec![
        property("tagwarden:package:kind", package.kind.as_str()),
        property("tagwarden:package:path", &package.path),
    ];
    if let Some(layer) = &package.layer {
        properties.push(property("tagwarden:layer:diff_id", layer));
    }
    if let Some(source) = &package.source_name {
        properties.push(property("tagwarden:package:source_name", source));
    }
    if let Some(version) = &package.source_version {
        properties.push(property("tagwarden:package:source_version", version));
    }
    component.properties = Some(Properties(properties));
    component
}

fn property(name: &str, value: &str) -> Property {
    Property {
        name: name.to_owned(),
        value: NormalizedString::new(value),
    }
}

/// The package URL (https://github.com/package-url/purl-spec) in the form
/// scanners and advisory databases use for each ecosystem.
pub(crate) fn purl(p: &Package, os: Option<&OsRelease>) -> String {
    let version = encode(&p.version);
    let distro = os.map(|os| {
        let version = os
            .version_id
            .as_deref()
            .or(os.version_codename.as_deref())
            .unwrap_or("");
        format!("{}-{version}", os.id)
    });
    let mut qualifiers = Vec::new();
    if let Some(arch) = &p.arch {
        qualifiers.push(format!("arch={}", encode(arch)));
    }
    let (kind, name) = match p.kind {
        PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => {
            if let Some(distro) = &distro {
                qualifiers.push(format!("distro={}", encode(distro)));
            }
            let vendor = os.map_or("unknown", |os| os.id.as_str());
            let kind = match p.kind {
                PackageKind::Deb => "deb",
                PackageKind::Apk => "apk",
                _ => "rpm",
            };
            (kind, format!("{}/{}", encode(vendor), encode(&p.name)))
        }
        PackageKind::Python => ("pypi", encode(&normalize_python(&p.name))),
        PackageKind::Npm => ("npm", split_namespace(&p.name, '/')),
        PackageKind::Go => ("golang", split_namespace(&p.name, '/')),
        PackageKind::Cargo => ("cargo", encode(&p.name)),
        PackageKind::Maven => ("maven", split_namespace(&p.name, ':')),
        PackageKind::Gem => ("gem", encode(&p.name)),
        PackageKind::Composer => ("composer", split_namespace(&p.name, '/')),
    };
    let mut purl = format!("pkg:{kind}/{name}@{version}");
    if !qualifiers.is_empty() {
        purl.push('?');
        purl.push_str(&qualifiers.join("&"));
    }
    purl
}

/// `@scope/name` → `%40scope/name`; `group:artifact` → `group/artifact`.
fn split_namespace(name: &str, separator: char) -> String {
    name.split(separator)
        .map(encode)
        .collect::<Vec<_>>()
        .join("/")
}

fn normalize_python(name: &str) -> String {
    tagwarden_engine::analyzers::python::normalized_name(name)
}

/// Percent-encodes everything but the unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
