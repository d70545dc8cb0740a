use crate::version::VersionScheme;
use crate::version::testkit::{Case, EQ, GT, LT, assert_reference, assert_rejects, assert_table};

const CASES: &[Case] = &[
    // Major, minor, patch compare as numbers.
    ("1.2.3", "1.2.4", LT),
    ("1.2.10", "1.2.9", GT),
    ("1.10.0", "1.9.0", GT),
    ("2.0.0", "1.99.99", GT),
    ("0.0.1", "0.1.0", LT),
    ("10.0.0", "9.0.0", GT),
    ("1.2.3", "1.2.3", EQ),
    // npm caps numbers at JavaScript's largest exact integer.
    ("9007199254740991.0.0", "9007199254740990.0.0", GT),
    // A pre-release sorts below its release and above the one before.
    ("1.0.0-alpha", "1.0.0", LT),
    ("1.0.0-rc.1", "1.0.0", LT),
    ("1.0.0-rc.1", "0.9.9", GT),
    ("1.0.0-0", "1.0.0", LT),
    ("1.0.1-alpha", "1.0.0", GT),
    // The SemVer 2.0 example chain, pair by pair.
    ("1.0.0-alpha", "1.0.0-alpha.1", LT),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta", LT),
    ("1.0.0-alpha.beta", "1.0.0-beta", LT),
    ("1.0.0-beta", "1.0.0-beta.2", LT),
    ("1.0.0-beta.2", "1.0.0-beta.11", LT),
    ("1.0.0-beta.11", "1.0.0-rc.1", LT),
    // Numeric identifiers compare as numbers and below alphanumeric ones;
    // alphanumeric ones compare in ASCII order (so `RC` < `alpha`).
    ("1.0.0-2", "1.0.0-10", LT),
    ("1.0.0-1", "1.0.0-a", LT),
    ("1.0.0-999", "1.0.0-0a", LT),
    ("1.0.0-RC.1", "1.0.0-alpha.1", LT),
    ("1.0.0-alpha-1", "1.0.0-alpha.1", GT),
    ("1.0.0-rc1", "1.0.0-rc10", LT),
    ("1.0.0-rc.2", "1.0.0-rc.10", LT),
    ("1.0.0-beta.2", "1.0.0-beta.2.0", LT),
    ("1.0.0-x.7.z.92", "1.0.0-x.7.z.93", LT),
    ("1.0.0-next.20230101", "1.0.0-next.20221231", GT),
    // Build metadata does not count.
    ("1.0.0+build.1", "1.0.0+build.2", EQ),
    ("1.0.0+20130313144700", "1.0.0", EQ),
    ("1.0.0-beta+exp.sha.5114f85", "1.0.0-beta", EQ),
    ("1.0.0+build", "1.0.1", LT),
    // Leniency for what real manifests and advisories contain.
    ("v1.2.3", "1.2.3", EQ),
    ("=1.2.3", "1.2.3", EQ),
    ("=v1.2.3", "1.2.4", LT),
    ("=v2.0.0", "v2.0.0", EQ),
    (" 1.2.3 ", "1.2.3", EQ),
    // Packages that were actually advised on.
    ("4.17.20", "4.17.21", LT),
    ("0.21.1", "0.21.2", LT),
    ("7.0.0-beta.55", "7.0.0", LT),
    ("1.0.0-beta.1", "0.99.0", GT),
];

#[test]
fn table() {
    assert_table(VersionScheme::SemVer, CASES);
}

#[test]
fn rejects_invalid() {
    assert_rejects(
        VersionScheme::SemVer,
        &[
            "", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-01", "x.y.z", "1.2.3 4", "V1.2.3",
        ],
    );
}

/// The whole table through node-semver, the npm implementation, when Node
/// is installed (npm bundles the `semver` package).
#[test]
fn agrees_with_node_semver() {
    const SCRIPT: &str = r#"
const path = require('path');
const candidates = ['semver',
  path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/semver'),
  '/usr/lib/node_modules/npm/node_modules/semver', '/usr/share/nodejs/semver'];
let semver = null;
for (const c of candidates) { try { semver = require(c); break; } catch (e) {} }
if (!semver) { console.log('absent'); process.exit(0); }
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
for (const l of lines) {
  const [a, b] = l.split(' ');
  console.log(String(semver.compare(a, b, { loose: true })));
}"#;
    // node-semver trims but does not take a line holding spaces apart.
    let cases: Vec<_> = CASES
        .iter()
        .copied()
        .filter(|(a, b, _)| !a.contains(' ') && !b.contains(' '))
        .collect();
    assert_reference(
        VersionScheme::SemVer,
        "node-semver",
        "node",
        &["-e", SCRIPT],
        &cases,
    );
}
