//! Platforms (`linux/arm64/v8`) and picking one image out of an index.

use std::fmt;
use std::str::FromStr;

use crate::manifest::IndexEntry;

/// An image platform: operating system, CPU architecture and optional
/// variant, written `os/arch[/variant]` as in `docker pull --platform`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    os: String,
    architecture: String,
    variant: Option<String>,
}

/// Why a string is not a [`Platform`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform {0:?}: expected os/arch or os/arch/variant, e.g. linux/arm64/v8")]
pub struct PlatformParseError(String);

/// Index annotation that marks BuildKit's attestation manifests.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";

impl Platform {
    /// A platform from its parts.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        Self {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            variant: variant.map(str::to_owned),
        }
    }

    /// The operating system, e.g. `linux`.
    pub fn os(&self) -> &str {
        &self.os
    }

    /// The architecture, e.g. `arm64`.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The variant, e.g. `v8`, when one is given.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// The variant with the architecture's implied default filled in, so
    /// `linux/arm64` and `linux/arm64/v8` compare equal (containerd's rule).
    fn normalized_variant(&self) -> Option<&str> {
        match (self.architecture.as_str(), self.variant.as_deref()) {
            ("arm64", None) => Some("v8"),
            ("arm", None) => Some("v7"),
            ("amd64", Some("v1")) => None,
            (_, variant) => variant,
        }
    }

    fn same_os_and_arch(&self, other: &Platform) -> bool {
        self.os == other.os && self.architecture == other.architecture
    }
}

impl Default for Platform {
    /// `linux/amd64`, what a scan of an index picks unless told otherwise.
    fn default() -> Self {
        Self::new("linux", "amd64", None)
    }
}

impl FromStr for Platform {
    type Err = PlatformParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = input.split('/').collect();
        let valid = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
        match parts.as_slice() {
            [os, arch] if valid(os) && valid(arch) => Ok(Self::new(os, arch, None)),
            [os, arch, variant] if valid(os) && valid(arch) && valid(variant) => {
                Ok(Self::new(os, arch, Some(variant)))
            }
            _ => Err(PlatformParseError(input.to_owned())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Platform({self})")
    }
}

/// Whether an index entry is an attestation (SBOM, provenance) rather than
/// a runnable image: BuildKit marks them `unknown/unknown` and annotates
/// them with `vnd.docker.reference.type: attestation-manifest`.
pub(crate) fn is_attestation(entry: &IndexEntry) -> bool {
    let unknown = entry
        .platform
        .as_ref()
        .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
    let annotated = entry
        .descriptor
        .annotations
        .get(REFERENCE_TYPE)
        .is_some_and(|v| v == "attestation-manifest");
    unknown || annotated
}

/// Picks the entry for `wanted` out of an index, skipping attestations.
///
/// An exact match (variant defaults applied) wins; when `wanted` names no
/// variant, the first entry with the same OS and architecture is the
/// fallback. Entries without a platform are never picked: there is no way
/// to know what they run on. On failure returns the platforms on offer.
pub(crate) fn select<'a>(
    entries: &'a [IndexEntry],
    wanted: &Platform,
) -> Result<&'a IndexEntry, Vec<Platform>> {
    let images = || entries.iter().filter(|e| !is_attestation(e));
    let with_platform = || images().filter_map(|e| e.platform.as_ref().map(|p| (e, p)));
    let exact = with_platform().find(|(_, p)| {
        p.same_os_and_arch(wanted) && p.normalized_variant() == wanted.normalized_variant()
    });
    let loose = || with_platform().find(|(_, p)| p.same_os_and_arch(wanted));
    match exact.or_else(|| wanted.variant.is_none().then(loose).flatten()) {
        Some((entry, _)) => Ok(entry),
        None => Err(with_platform().map(|(_, p)| p.clone()).collect()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::manifest::Descriptor;

    fn entry(n: u8, platform: &str, annotations: &[(&str, &str)]) -> IndexEntry {
        IndexEntry {
            descriptor: Descriptor {
                media_type: "application/vnd.oci.image.manifest.v1+json".to_owned(),
                digest: format!("sha256:{}", format!("{n:02x}").repeat(32))
                    .parse()
                    .unwrap(),
                size: 1,
                annotations: annotations
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<BTreeMap<_, _>>(),
            },
            platform: Some(platform.parse().unwrap()),
        }
    }

    fn index() -> Vec<IndexEntry> {
        vec![
            entry(
                1,
                "unknown/unknown",
                &[(REFERENCE_TYPE, "attestation-manifest")],
            ),
            entry(2, "linux/arm/v6", &[]),
            entry(3, "linux/arm/v7", &[]),
            entry(4, "linux/arm64/v8", &[]),
            entry(5, "linux/amd64", &[]),
        ]
    }

    fn pick(wanted: &str) -> Result<u8, Vec<String>> {
        let entries = index();
        select(&entries, &wanted.parse().unwrap())
            .map(|e| u8::from_str_radix(&e.descriptor.digest.hex()[..2], 16).unwrap())
            .map_err(|offered| offered.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn picks_by_os_arch_and_variant_defaults() {
        assert_eq!(pick("linux/amd64"), Ok(5));
        assert_eq!(pick("linux/arm64"), Ok(4));
        assert_eq!(pick("linux/arm64/v8"), Ok(4));
        assert_eq!(pick("linux/arm"), Ok(3));
        assert_eq!(pick("linux/arm/v6"), Ok(2));
        assert_eq!(pick("linux/amd64/v1"), Ok(5));
    }

    #[test]
    fn never_picks_attestations_and_lists_what_is_offered() {
        assert_eq!(
            pick("unknown/unknown"),
            Err(vec![
                "linux/arm/v6".to_owned(),
                "linux/arm/v7".to_owned(),
                "linux/arm64/v8".to_owned(),
                "linux/amd64".to_owned(),
            ])
        );
        assert!(pick("linux/arm/v5").is_err());
    }

    #[test]
    fn a_platformless_attestation_is_recognised_by_its_annotation() {
        let mut e = entry(
            9,
            "linux/amd64",
            &[(REFERENCE_TYPE, "attestation-manifest")],
        );
        e.platform = None;
        assert!(is_attestation(&e));
    }

    #[test]
    fn parses_and_rejects_platform_strings() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(
            (p.os(), p.architecture(), p.variant()),
            ("linux", "arm64", Some("v8"))
        );
        assert_eq!(Platform::default().to_string(), "linux/amd64");
        for bad in ["linux", "linux/", "linux/arm64/v8/x", "linux/amd 64"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }
}
