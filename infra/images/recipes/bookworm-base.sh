#!/usr/bin/env bash
# bookworm-base: a real Debian 12 minbase root filesystem made by mmdebstrap,
# as one layer. Ground truth: dpkg.txt (dpkg-query over the rootfs),
# os-release, layers.txt.
#
# The package set is whatever the Debian mirror serves today (bookworm plus
# bookworm-updates and bookworm-security, as mmdebstrap configures a stable
# suite), so versions move between builds; the expected/ files are always
# those of this build.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
need mmdebstrap mmdebstrap

layout=$OUT/oci
bundle=$WORK/bundle
exp=$OUT/expected

oci_new "$layout" "$NAME"
oci_unpack "$layout" "$NAME" "$bundle"
# umoci leaves an empty rootfs; mmdebstrap wants a missing or empty target.
rmdir "$bundle/rootfs"

bootstrap() {
  mmdebstrap --quiet --variant=minbase --architectures=amd64 bookworm "$bundle/rootfs" "$@"
}
if ! bootstrap; then
  # mmdebstrap's default mirror is deb.debian.org; fall back to the host's.
  mirror=$(debian_mirror) || die "mmdebstrap failed and no Debian mirror found in /etc/apt/sources.list* (set TAGWARDEN_DEBIAN_MIRROR)"
  log "mmdebstrap with the default mirror failed; retrying with $mirror"
  rm -rf "$bundle/rootfs"
  bootstrap "$mirror" || die "mmdebstrap --variant=minbase bookworm failed with mirror $mirror too"
fi

# Directory mode leaves device nodes in /dev; container images carry an
# empty /dev (the runtime mounts its own), so drop them before packing.
find "$bundle/rootfs/dev" -mindepth 1 -delete

oci_repack "$layout" "$NAME" "$bundle" "mmdebstrap --variant=minbase bookworm"
oci_config "$layout" "$NAME" --config.cmd=/bin/bash --config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --author=tagwarden/infra/images

dpkg_truth "$bundle/rootfs" "$exp/dpkg.txt"
os_release "$bundle/rootfs" "$exp/os-release"
snapshot "$bundle/rootfs" "$exp/steps/0"
# Hints for humans: which advisories we expect (not ground truth).
cat >"$exp/README" <<'HINT'
Hint only (the engine's tests compute the real expectation):
no Debian 12 (bookworm) advisories exist in ../shared/vulndata (the Debian
data stops at 2023-04-02, before bookworm's release), so a scan should find
no dpkg vulnerabilities and report the Debian:12 packages as not covered.
HINT
finish_expected "$layout" "$NAME" "$exp"
log "$(wc -l <"$exp/dpkg.txt") dpkg packages"
