#!/usr/bin/env bash
# zstd: bookworm-base's content with other layer encodings:
#   layer 0  bookworm-base's root filesystem, recompressed with zstd
#            (application/vnd.oci.image.layer.v1.tar+zstd): same diff_id as
#            bookworm-base's layer, different blob digest
#   layer 1  a small uncompressed layer (application/vnd.oci.image.layer.v1.tar)
#            adding /etc/tagwarden-image
# umoci writes only gzip, so ocitool.py re-encodes the blobs and rewrites the
# manifest. Note: pushing with skopeo gzips uncompressed layers unless told
# not to; push.sh pushes this image with --preserve-digests so the registry
# serves exactly these blobs.
# Ground truth: computed over the filesystem unpacked from THESE blobs with
# `zstd -dc | tar -x` (not umoci, which cannot read zstd): dpkg.txt,
# os-release, layers.txt, packages.tsv.
# deps: bookworm-base
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
need zstd zstd

layout=$OUT/oci
exp=$OUT/expected
rootfs=$WORK/rootfs

oci_from bookworm-base "$layout" "$NAME"
mkdir -p "$WORK/layer1/etc"
echo "Tagwarden test image '$NAME': zstd and uncompressed layers" >"$WORK/layer1/etc/tagwarden-image"
tar --numeric-owner --owner=0 --group=0 --mtime=@0 -cf "$WORK/layer1.tar" -C "$WORK/layer1" etc/tagwarden-image ||
  die "tar of the small layer failed"
run "umoci raw add-layer" umoci raw add-layer --image "$layout:$NAME" \
  --history.created_by "COPY tagwarden-image /etc/tagwarden-image" "$WORK/layer1.tar"
run "re-encode layers (0: zstd, 1: uncompressed)" "${OCITOOL[@]}" recompress "$layout" "$NAME" 0:zstd 1:none

# Unpack the blobs as stored, in order, with the standard tools.
mkdir -p "$rootfs"
manifest=$("${OCITOOL[@]}" digest "$layout" "$NAME")
python3 -c 'import json,sys; [print(l["mediaType"], l["digest"]) for l in json.load(open(sys.argv[1]))["layers"]]' \
  "$layout/blobs/sha256/${manifest#sha256:}" |
  while read -r mt digest; do
    blob=$layout/blobs/sha256/${digest#sha256:}
    case $mt in
      *+zstd) zstd -dcq "$blob" ;;
      *+gzip) gzip -dc "$blob" ;;
      *) cat "$blob" ;;
    esac | tar --numeric-owner -xf - -C "$rootfs" || die "unpacking layer $digest ($mt) with tar failed"
  done
snapshot "$rootfs" "$exp/steps/0"  # both layers' packages: all from layer 0
cp -a "$exp/steps/0" "$exp/steps/1"

dpkg_truth "$rootfs" "$exp/dpkg.txt"
os_release "$rootfs" "$exp/os-release"
cmp -s "$exp/dpkg.txt" "$IMAGE_CACHE/bookworm-base/expected/dpkg.txt" ||
  die "dpkg inventory of the zstd image differs from bookworm-base's"
# Hints for humans: which advisories we expect (not ground truth).
cat >"$exp/README" <<'HINT'
Hint only: the same packages as bookworm-base (no Debian 12 data, not
covered). The point of this image is the zstd and uncompressed layers.
HINT
finish_expected "$layout" "$NAME" "$exp"
cut -f1,4,5 "$exp/layers.txt" | grep -v '^#' >&2
