#!/usr/bin/env bash
# multiarch: an OCI image index (tag "multiarch") over two tiny one-layer
# images, linux/amd64 and linux/arm64, plus a BuildKit-style attestation
# manifest (platform unknown/unknown, annotation
# vnd.docker.reference.type=attestation-manifest, referring to the amd64
# image) that a scanner must skip. Each image holds only Debian 12's
# os-release, /etc/tagwarden-platform and a dpkg status whose packages
# differ per architecture (different versions of libc6 and libssl3, and one
# package only each has), so a test can tell which image was picked.
# Ground truth: expected/linux-amd64/ and expected/linux-arm64/ (dpkg.txt,
# os-release, layers.txt, packages.tsv, manifest-digest); expected/dpkg.txt
# and os-release are amd64's (the default platform); expected/index.txt
# lists the index entries (platform, digest, kind).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

layout=$OUT/oci
exp=$OUT/expected

# stanza NAME VERSION ARCH [SOURCE]: one installed package of a dpkg status.
stanza() {
  printf 'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: libs\n' "$1"
  printf 'Maintainer: Debian <debian@example.invalid>\nArchitecture: %s\n' "$3"
  [ -n "${4:-}" ] && printf 'Source: %s\n' "$4"
  printf 'Version: %s\nDescription: %s for Tagwarden'"'"'s multi-platform test image\n\n' "$2" "$1"
}

build_arch() {
  local arch=$1 tag=$NAME-$1 bundle=$WORK/bundle-$1 rootfs
  rootfs=$bundle/rootfs
  oci_new "$layout" "$tag"
  oci_config "$layout" "$tag" --architecture="$arch" --os=linux
  oci_unpack "$layout" "$tag" "$bundle"
  mkdir -p "$rootfs/etc" "$rootfs/usr/lib" "$rootfs/var/lib/dpkg/info"
  cat >"$rootfs/usr/lib/os-release" <<'OSR'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
OSR
  ln -s ../usr/lib/os-release "$rootfs/etc/os-release"
  echo "linux/$arch" >"$rootfs/etc/tagwarden-platform"
  {
    stanza base-files 12.4+deb12u5 "$arch"
    case $arch in
      amd64)
        stanza intel-microcode 3.20231114.1~deb12u1 amd64
        stanza libc6 2.36-9+deb12u4 amd64 glibc
        stanza libssl3 3.0.11-1~deb12u2 amd64 openssl
        ;;
      arm64)
        stanza libc6 2.36-9+deb12u3 arm64 glibc
        stanza libssl3 3.0.13-1~deb12u1 arm64 openssl
        stanza raspi-firmware 1.20230405+ds-1 arm64
        ;;
    esac
  } >"$rootfs/var/lib/dpkg/status"
  : >"$rootfs/var/lib/dpkg/available"
  oci_repack "$layout" "$tag" "$bundle" "tiny linux/$arch rootfs: os-release and a dpkg status"
  mkdir -p "$exp/linux-$arch"
  snapshot "$rootfs" "$exp/linux-$arch/steps/0"
  dpkg_truth "$rootfs" "$exp/linux-$arch/dpkg.txt"
  os_release "$rootfs" "$exp/linux-$arch/os-release"
}

build_arch amd64
build_arch arm64
# Describe each image while its tag still exists (the index replaces them).
for arch in amd64 arm64; do finish_expected "$layout" "$NAME-$arch" "$exp/linux-$arch"; done

# Hints for humans: which advisories we expect (not ground truth).
cat >"$exp/README" <<'HINT'
Hint only: Debian 12 packages, no Debian 12 data (not covered). The point
of this image is platform selection: amd64 has intel-microcode and
libssl3 3.0.11-1~deb12u2, arm64 has raspi-firmware and libssl3
3.0.13-1~deb12u1.
HINT
run "make the image index" "${OCITOOL[@]}" index "$layout" "$NAME" \
  --platform "$NAME-amd64=linux/amd64" --platform "$NAME-arm64=linux/arm64" \
  --attest "$NAME-amd64" >"$exp/index.txt"
"${OCITOOL[@]}" digest "$layout" "$NAME" >"$exp/manifest-digest"
chmod -R a+rX "$layout"
cp "$exp/linux-amd64/dpkg.txt" "$exp/linux-amd64/os-release" "$exp/"
cat "$exp/index.txt" >&2
