#!/usr/bin/env bash
# stretch-postgres: a real Debian 9 package set in a one-layer image. The
# packages (name, version, architecture, source package and source version)
# are every deb component of osv-scanner's postgres-stretch CycloneDX SBOM
# (syft's scan of the real postgres:11.15-stretch image), written as a
# /var/lib/dpkg/status, plus Debian 9's /etc/os-release and
# /etc/debian_version. Debian 9 reached end of life before the advisory
# snapshot in ../shared/vulndata, so its Debian:9 data is complete.
# The SBOM is read from ../shared at build time, never copied into the repo.
# The SBOM's Go binaries (gosu) and postgres tarball are not dpkg packages
# and are left out.
# Ground truth: dpkg.txt (dpkg-query over the synthetic status), os-release,
# layers.txt, packages.tsv.
# inputs: $SHARED_DIR/vulndata/fixtures/osv-scanner/source-testdata/sbom-insecure/postgres-stretch.cdx.xml
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

sbom=$SHARED_DIR/vulndata/fixtures/osv-scanner/source-testdata/sbom-insecure/postgres-stretch.cdx.xml
[ -f "$sbom" ] || die "SBOM not found: $sbom (set TAGWARDEN_SHARED to the shared/ directory)"
layout=$OUT/oci
bundle=$WORK/bundle
rootfs=$bundle/rootfs
exp=$OUT/expected

oci_new "$layout" "$NAME"
oci_unpack "$layout" "$NAME" "$bundle"

mkdir -p "$rootfs/etc" "$rootfs/usr/lib" "$rootfs/var/lib/dpkg/info" "$rootfs/var/lib/dpkg/updates"
# Debian 9's os-release, byte for byte as base-files 9.9+deb9u13 ships it;
# /etc/os-release is a relative symlink to it, as on stretch.
cat >"$rootfs/usr/lib/os-release" <<'OSR'
PRETTY_NAME="Debian GNU/Linux 9 (stretch)"
NAME="Debian GNU/Linux"
VERSION_ID="9"
VERSION="9 (stretch)"
VERSION_CODENAME=stretch
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
OSR
ln -s ../usr/lib/os-release "$rootfs/etc/os-release"
echo 9.13 >"$rootfs/etc/debian_version"
: >"$rootfs/var/lib/dpkg/available"
run "convert the SBOM to a dpkg status" "${OCITOOL[@]}" sbom-dpkg "$sbom" "$rootfs/var/lib/dpkg/status"

oci_repack "$layout" "$NAME" "$bundle" "dpkg status rebuilt from postgres-stretch.cdx.xml (osv-scanner test data)"
oci_config "$layout" "$NAME" --config.cmd=/bin/sh
snapshot "$rootfs" "$exp/steps/0"

dpkg_truth "$rootfs" "$exp/dpkg.txt"
os_release "$rootfs" "$exp/os-release"
# Hints for humans: which advisories we expect (not ground truth).
cat >"$exp/README" <<'HINT'
Hint only, from `dpkg --compare-versions` of each source package's version
against the Debian:9 "fixed" versions in ../shared/vulndata/osv/Debian
(the issue-4 test does this check properly):
  dpkg DLA-3022-1, libxml2 DLA-3012-1, openldap DLA-3017-1,
  openssl DLA-3008-1, systemd DLA-3063-1, tzdata DLA-3051-1
HINT
finish_expected "$layout" "$NAME" "$exp"
log "$(wc -l <"$exp/dpkg.txt") dpkg packages"
