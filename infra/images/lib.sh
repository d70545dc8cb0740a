# shellcheck shell=bash
# Helpers shared by build.sh, push.sh, verify.sh and the recipes.
# Sourced, never run. Everything here fails loudly, naming what failed.

set -euo pipefail

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$IMAGES_DIR/../.." && pwd)
# Built images live outside the git clone: they are large and machine-made.
IMAGE_CACHE=${TAGWARDEN_IMAGE_CACHE:-$HOME/.cache/tagwarden/images}
# Real advisory data and fixtures sit beside the clone (../shared); read from
# there at build time, never copied into the repository.
SHARED_DIR=${TAGWARDEN_SHARED:-$REPO_ROOT/../shared}
OCITOOL=("python3" "$IMAGES_DIR/ocitool.py")
export LC_ALL=C

log() { echo "[${NAME:-images}] $*" >&2; }
die() { echo "error: [${NAME:-images}] $*" >&2; exit 1; }

# need CMD DEBIAN-PACKAGE: fail early with the package to install.
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install the Debian package '$2'"; }

# run DESCRIPTION CMD...: run a step; on failure say which step failed.
run() {
  local what=$1
  shift
  "$@" || die "$what failed (command: $*)"
}

# ---------------------------------------------------------------- layouts

# oci_new LAYOUT TAG: an empty image (no layers) for linux/amd64.
oci_new() {
  local layout=$1 tag=$2
  [ -e "$layout" ] || run "umoci init $layout" umoci init --layout "$layout"
  run "umoci new $layout:$tag" umoci new --image "$layout:$tag"
}

# oci_from DEP LAYOUT TAG: start LAYOUT as a copy of the built image DEP
# (tag DEP), retagged TAG. Blobs are hard-linked, so the base layers are
# byte-identical in both images (same digests: layer sharing is real).
oci_from() {
  local dep=$1 layout=$2 tag=$3 src=$IMAGE_CACHE/$1/oci
  [ -f "$src/index.json" ] || die "base image '$dep' is not built ($src missing)"
  mkdir -p "$layout/blobs/sha256"
  cp "$src/oci-layout" "$src/index.json" "$layout/"
  cp -al "$src/blobs/sha256/." "$layout/blobs/sha256/" 2>/dev/null ||
    run "copy blobs of $dep" cp -a "$src/blobs/sha256/." "$layout/blobs/sha256/"
  if [ "$dep" != "$tag" ]; then
    run "umoci tag $dep -> $tag" umoci tag --image "$layout:$dep" "$tag"
    run "umoci rm $dep" umoci rm --image "$layout:$dep"
  fi
}

# oci_unpack LAYOUT TAG BUNDLE: unpack the image into BUNDLE/rootfs.
oci_unpack() {
  run "umoci unpack $1:$2" umoci unpack --image "$1:$2" "$3" >/dev/null
}

# oci_repack LAYOUT TAG BUNDLE CREATED_BY: add what changed in BUNDLE/rootfs
# since the last unpack/repack as one new layer (umoci computes the diff
# with go-mtree, writing whiteouts for deleted paths), and refresh the
# bundle so the next repack diffs against this layer.
oci_repack() {
  local layout=$1 tag=$2 bundle=$3 created_by=$4
  run "umoci repack $layout:$tag" umoci repack --refresh-bundle \
    --history.created_by "$created_by" --history.author tagwarden/infra/images \
    --image "$layout:$tag" "$bundle"
}

# oci_config LAYOUT TAG ARGS...: umoci config with the same tag in and out.
oci_config() {
  local layout=$1 tag=$2
  shift 2
  run "umoci config $layout:$tag" umoci config --image "$layout:$tag" --tag "$tag" "$@"
}

# ---------------------------------------------------------------- ground truth

# os_release ROOTFS OUT: copy /etc/os-release (usually a relative symlink to
# ../usr/lib/os-release), resolving links inside ROOTFS, not on the host.
os_release() {
  local rootfs=$1 out=$2 p=etc/os-release target
  for _ in 1 2 3 4 5; do
    if [ -L "$rootfs/$p" ]; then
      target=$(readlink "$rootfs/$p")
      case $target in
        /*) p=${target#/} ;;
        *) p=$(cd "$(dirname "$rootfs/$p")" && realpath -m --relative-to="$rootfs" "$target") ;;
      esac
    else
      break
    fi
  done
  [ -f "$rootfs/$p" ] || p=usr/lib/os-release
  [ -f "$rootfs/$p" ] || die "no os-release in $rootfs"
  cp "$rootfs/$p" "$out"
}

# dpkg_truth ROOTFS OUT: the reference inventory, exactly the brief's query.
dpkg_truth() {
  dpkg-query --admindir="$1/var/lib/dpkg" -W \
    -f '${Package} ${Version} ${source:Package} ${source:Version}\n' | sort >"$2" ||
    die "dpkg-query over $1/var/lib/dpkg failed"
}

# pip_truth SITE_PACKAGES OUTDIR: pip's own view of a site-packages dir.
pip_truth() {
  local site=$1 out=$2
  python3 -m pip list --disable-pip-version-check --path "$site" --format freeze | sort -f >"$out/pip.txt" ||
    die "pip list --path $site failed"
  python3 -m pip list --disable-pip-version-check --path "$site" --format json |
    python3 -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin), key=lambda d: d["name"].lower()), indent=1))' \
      >"$out/pip.json" || die "pip list --format json --path $site failed"
}

# npm_truth APPDIR OUT: npm's own tree (`npm ls --all --json`).
npm_truth() {
  (cd "$1" && npm ls --all --json) >"$2" || die "npm ls --all --json in $1 reported problems (see $2)"
}

# go_truth ROOTFS OUT BINARY...: `go version -m` with image paths (relative
# to the root) so the file names match what a scanner sees.
go_truth() {
  local rootfs=$1 out=$2
  shift 2
  (cd "$rootfs" && go version -m "$@") >"$out" || die "go version -m $* failed"
}

# snapshot ROOTFS DIR: cumulative inventory after a layer, every reference
# tool that applies to what is in ROOTFS (used for per-layer attribution).
snapshot() {
  local rootfs=$1 dir=$2 site
  mkdir -p "$dir"
  [ -f "$rootfs/var/lib/dpkg/status" ] && dpkg_truth "$rootfs" "$dir/dpkg.txt"
  for site in "$rootfs"/usr/local/lib/python3*/site-packages; do
    [ -d "$site" ] && pip_truth "$site" "$dir"
  done
  [ -f "$rootfs/app/package.json" ] && npm_truth "$rootfs/app" "$dir/npm.json"
  # GO_BINARIES: image paths of Go binaries (those present so far).
  local bin present=()
  for bin in ${GO_BINARIES:-}; do
    [ -f "$rootfs/$bin" ] && present+=("$bin")
  done
  [ ${#present[@]} -gt 0 ] && go_truth "$rootfs" "$dir/go.txt" "${present[@]}"
  return 0
}

# finish_expected LAYOUT TAG EXPECTED: layers.txt, layers/<i>.txt and
# packages.tsv (which layer brought each package, from the steps/ snapshots),
# plus the image's digests.
finish_expected() {
  local layout=$1 tag=$2 exp=$3
  # Drop blobs no longer referenced (intermediate configs and manifests).
  run "umoci gc $layout" umoci gc --layout "$layout"
  # umoci writes blobs 0600; let non-root test runs read the cache too.
  chmod -R a+rX "$layout"
  run "describe layers of $tag" "${OCITOOL[@]}" layers "$layout" "$tag" "$exp"
  if [ -d "$exp/steps" ]; then
    run "attribute packages to layers" "${OCITOOL[@]}" attribute "$exp/steps" "$exp/layers.txt" "$exp/packages.tsv"
  fi
  "${OCITOOL[@]}" digest "$layout" "$tag" >"$exp/manifest-digest"
}

# ---------------------------------------------------------------- network

# debian_mirror: the Debian mirror to use when mmdebstrap's default fails:
# $TAGWARDEN_DEBIAN_MIRROR, else the host's apt sources (deb822 or one-line).
debian_mirror() {
  if [ -n "${TAGWARDEN_DEBIAN_MIRROR:-}" ]; then
    echo "$TAGWARDEN_DEBIAN_MIRROR"
    return
  fi
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '/^URIs:/ {print $2}' "$f" | grep -v security | grep -i debian | head -n1 || true)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' "$f" |
      grep -v security | grep -i debian | head -n1 || true)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  return 1
}
