//! What the demo must find in `bookworm-app` (tag `production-1`) and what
//! pushing `bookworm-app-fixed` (`production-2`) must fix.
//!
//! Pinned, not computed by the engine under test. Verified by hand against
//! `../shared/vulndata/osv`: every PyPI and npm record (withdrawn ones
//! skipped) was checked for each package of the image's `packages.tsv`
//! with Python's `packaging` (PEP 440) and plain semver comparison over
//! `versions`, `ECOSYSTEM` and `SEMVER` ranges; the result equals the hint
//! in `infra/images` (`expected/README`). No two of these records share an
//! alias, so alias merging keeps them apart. The image's Debian 12
//! packages have no advisories in the data (it stops before bookworm), and
//! urllib3 1.26.18 lies outside every urllib3 range.

/// One expected issue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expected {
    /// The issue's vulnerability id: the engine names a vulnerability by
    /// its CVE when its records have one (as Trivy and Grype do).
    pub(crate) cve: &'static str,
    /// The OSV record that matched, which must be among the aliases.
    pub(crate) record: &'static str,
    /// The package (lower case) and its installed version.
    pub(crate) package: &'static str,
    pub(crate) version: &'static str,
}

const fn issue(
    cve: &'static str,
    record: &'static str,
    package: &'static str,
    version: &'static str,
) -> Expected {
    Expected {
        cve,
        record,
        package,
        version,
    }
}

/// Every issue `production-1` opens. minimist is installed twice
/// (`node_modules/minimist` and `node_modules/mkdirp/node_modules/minimist`):
/// two issues per advisory, one per location.
pub(crate) const APP_ISSUES: &[Expected] = &[
    issue("CVE-2021-33503", "PYSEC-2021-108", "urllib3", "1.26.4"),
    issue("CVE-2023-43804", "PYSEC-2023-192", "urllib3", "1.26.4"),
    issue("CVE-2023-45803", "PYSEC-2023-212", "urllib3", "1.26.4"),
    issue("CVE-2023-32681", "PYSEC-2023-74", "requests", "2.25.1"),
    issue("CVE-2024-3651", "PYSEC-2024-60", "idna", "2.10"),
    issue("CVE-2022-23491", "PYSEC-2022-42986", "certifi", "2020.12.5"),
    issue("CVE-2023-37920", "PYSEC-2023-135", "certifi", "2020.12.5"),
    issue("CVE-2020-28493", "PYSEC-2021-66", "jinja2", "2.11.2"),
    issue("CVE-2021-32839", "PYSEC-2021-333", "sqlparse", "0.4.1"),
    issue("CVE-2023-30608", "PYSEC-2023-87", "sqlparse", "0.4.1"),
    issue("CVE-2022-28346", "PYSEC-2022-190", "django", "3.2.12"),
    issue("CVE-2022-28347", "PYSEC-2022-191", "django", "3.2.12"),
    issue("CVE-2022-34265", "PYSEC-2022-213", "django", "3.2.12"),
    issue("CVE-2022-36359", "PYSEC-2022-245", "django", "3.2.12"),
    issue("CVE-2022-41323", "PYSEC-2022-304", "django", "3.2.12"),
    issue("CVE-2023-23969", "PYSEC-2023-12", "django", "3.2.12"),
    issue("CVE-2023-24580", "PYSEC-2023-13", "django", "3.2.12"),
    issue("CVE-2023-31047", "PYSEC-2023-61", "django", "3.2.12"),
    issue("CVE-2023-36053", "PYSEC-2023-100", "django", "3.2.12"),
    issue("CVE-2023-46695", "PYSEC-2023-222", "django", "3.2.12"),
    issue("CVE-2023-41164", "PYSEC-2023-225", "django", "3.2.12"),
    issue("CVE-2023-43665", "PYSEC-2023-226", "django", "3.2.12"),
    issue("CVE-2024-24680", "PYSEC-2024-28", "django", "3.2.12"),
    issue("CVE-2024-27351", "PYSEC-2024-47", "django", "3.2.12"),
    issue("CVE-2019-10744", "GHSA-jf85-cpcp-j695", "lodash", "4.17.11"),
    issue("CVE-2020-7598", "GHSA-vh95-rmgr-6w4m", "minimist", "1.2.0"),
    issue("CVE-2021-44906", "GHSA-xvch-5gv4-984h", "minimist", "1.2.0"),
    issue("CVE-2020-7598", "GHSA-vh95-rmgr-6w4m", "minimist", "0.0.8"),
    issue("CVE-2021-44906", "GHSA-xvch-5gv4-984h", "minimist", "0.0.8"),
    issue("CVE-2019-11358", "GHSA-6c3j-c64m-qhgq", "jquery", "3.3.1"),
];

/// The advisories of urllib3 1.26.4 (records PYSEC-2021-108,
/// PYSEC-2023-192, PYSEC-2023-212), which `production-2` (urllib3 1.26.18)
/// no longer has: exactly these issues are marked fixed.
pub(crate) const FIXED_BY_UPGRADE: &[&str] =
    &["CVE-2021-33503", "CVE-2023-43804", "CVE-2023-45803"];

/// Debian advisories `stretch-postgres` must show among its issues (the
/// `infra/images` hint; the engine's own tests check the complete list
/// against `dpkg --compare-versions`). DLA records name CVEs as related,
/// not as aliases, so they stay the issues' own ids.
pub(crate) const STRETCH_SAMPLE: &[&str] = &[
    "DLA-3008-1",
    "DLA-3012-1",
    "DLA-3017-1",
    "DLA-3022-1",
    "DLA-3051-1",
    "DLA-3063-1",
];
