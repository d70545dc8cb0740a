#!/usr/bin/env bash
# End-to-end check of the image recipes: builds every image (cache
# permitting), starts a throwaway registry on a free loopback port, pushes
# all images, and checks that each one can be inspected and pulled back
# with exactly the digests recorded in its expected/ files. Stops the
# registry and removes its storage on exit, whatever happens.
#
#   infra/images/verify.sh [NAME...]      (all images by default)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
NAME=verify

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for r in "$IMAGES_DIR"/recipes/*.sh; do names+=("$(basename "$r" .sh)"); done
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check DESCRIPTION CMD...
  local what=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/     /' "$tmp/out" | tail -n 20; fi
}

# ---- build
start=$(date +%s%N)
"$IMAGES_DIR/build.sh" "${names[@]}"
log "build step took $((($(date +%s%N) - start) / 1000000)) ms"

# ---- registry on a free port, with its own throwaway data dir
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
registry=127.0.0.1:$port
export TAGWARDEN_REGISTRY_DIR=$tmp/registry
cleanup() {
  "$REPO_ROOT/infra/local/registry.sh" stop "$port" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"$REPO_ROOT/infra/local/registry.sh" start "$port"

# ---- push
"$IMAGES_DIR/push.sh" "$registry" "${names[@]}" | tee "$tmp/pushed"
for name in "${names[@]}"; do
  [ "$name" = bookworm-base ] && "$IMAGES_DIR/push.sh" --format v2s2 "$registry" bookworm-base=bookworm-base:v2s2 | tee -a "$tmp/pushed"
done

# ---- checks
for name in "${names[@]}"; do
  ref=docker://$registry/$name:latest
  exp=$IMAGE_CACHE/$name/expected
  want=$(cat "$exp/manifest-digest")
  check "$name: skopeo inspect $ref" skopeo inspect --tls-verify=false "$ref"
  got=$(skopeo inspect --raw --tls-verify=false "$ref" | sha256sum | awk '{print "sha256:" $1}')
  if [ "$got" = "$want" ]; then ok "$name: registry serves manifest $want"; else bad "$name: registry digest $got, expected/manifest-digest $want"; fi
  # A real pull: every blob fetched and its digest checked by skopeo.
  check "$name: pull back into an OCI layout" skopeo copy --quiet --all --src-tls-verify=false "$ref" "oci:$tmp/pulled-$name:$name"
  case $name in
    multiarch)
      check "multiarch: index lists amd64, arm64 and an attestation manifest" bash -c \
        "skopeo inspect --raw --tls-verify=false '$ref' | python3 -c 'import json,sys; m=json.load(sys.stdin)[\"manifests\"]; p=sorted(e[\"platform\"][\"os\"]+\"/\"+e[\"platform\"][\"architecture\"] for e in m); assert p==[\"linux/amd64\",\"linux/arm64\",\"unknown/unknown\"], p; assert any(e.get(\"annotations\",{}).get(\"vnd.docker.reference.type\")==\"attestation-manifest\" for e in m)'"
      # Platform selection as a client does it: the chosen image must be
      # that architecture, with the layer recorded for it.
      for arch in amd64 arm64; do
        layer=$(awk -F'\t' '!/^#/ && $1==0 {print $2}' "$exp/linux-$arch/layers.txt")
        check "multiarch: --override-arch $arch picks the linux/$arch image (layer $layer)" bash -c \
          "skopeo inspect --tls-verify=false --override-os linux --override-arch $arch '$ref' | python3 -c 'import json,sys; i=json.load(sys.stdin); assert i[\"Architecture\"]==\"$arch\" and i[\"Layers\"]==[\"$layer\"], i'"
      done
      ;;
    zstd)
      check "zstd: layers stay zstd and uncompressed in the registry" bash -c \
        "skopeo inspect --raw --tls-verify=false '$ref' | python3 -c 'import json,sys; t=[l[\"mediaType\"] for l in json.load(sys.stdin)[\"layers\"]]; assert t==[\"application/vnd.oci.image.layer.v1.tar+zstd\",\"application/vnd.oci.image.layer.v1.tar\"], t'"
      ;;
    bookworm-app)
      check "bookworm-app: docker-save.tar is a readable docker archive" \
        skopeo inspect "docker-archive:$IMAGE_CACHE/bookworm-app/docker-save.tar"
      ;;
    bookworm-base)
      check "bookworm-base: Docker v2s2 copy is served with Docker media types" bash -c \
        "skopeo inspect --raw --tls-verify=false docker://$registry/bookworm-base:v2s2 | grep -q application/vnd.docker.distribution.manifest.v2+json"
      ;;
  esac
  case $name in
    bookworm-app|bookworm-app-fixed|go-stdlib|zstd)
      base0=$(awk -F'\t' '!/^#/ && $1==0 {print $3}' "$IMAGE_CACHE/bookworm-base/expected/layers.txt")
      this0=$(awk -F'\t' '!/^#/ && $1==0 {print $3}' "$exp/layers.txt")
      if [ "$base0" = "$this0" ]; then ok "$name: layer 0 is bookworm-base's (diff_id $base0)"; else bad "$name: layer 0 diff_id $this0 is not bookworm-base's $base0"; fi
      ;;
  esac
done

echo "verify: $passed passed, $failed failed"
[ "$failed" = 0 ]
