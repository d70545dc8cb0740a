#!/usr/bin/env bash
# Pushes built images to a registry with skopeo (building them first when
# missing: build.sh is a no-op for up-to-date images).
#
#   infra/images/push.sh [--format oci|v2s2] REGISTRY [NAME[=REPO[:TAG]]...]
#
#   REGISTRY     host:port, e.g. 127.0.0.1:5000 (plain HTTP: --dest-tls-verify=false)
#   NAME         an image of recipes/ (all by default), pushed as REGISTRY/NAME:latest
#   NAME=REPO:TAG  push it under another name, e.g. for the demo's tag move:
#                push.sh 127.0.0.1:5000 bookworm-app=demo/app:v1
#                push.sh 127.0.0.1:5000 bookworm-app-fixed=demo/app:v2
#   --format oci   (default) push the layout as built: --preserve-digests, so
#                  the registry serves exactly the blobs and manifest digests
#                  recorded in expected/ (zstd and uncompressed layers included)
#   --format v2s2  convert to Docker v2 schema 2 media types on the way (new
#                  digests; not possible for the zstd image)
# Prints "REGISTRY/REPO:TAG DIGEST" for each push.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

format=oci
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --format) format=${2:?--format needs oci or v2s2}; shift 2 ;;
    --format=*) format=${1#--format=}; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -ge 1 ] || die "usage: $0 [--format oci|v2s2] REGISTRY [NAME[=REPO[:TAG]]...]"
registry=${args[0]}
specs=("${args[@]:1}")
if [ ${#specs[@]} -eq 0 ]; then
  for r in "$IMAGES_DIR"/recipes/*.sh; do specs+=("$(basename "$r" .sh)"); done
fi
case $format in
  oci) fmt_args=(--preserve-digests) ;;
  v2s2) fmt_args=(--format v2s2) ;;
  *) die "--format must be oci or v2s2, got '$format'" ;;
esac
need skopeo skopeo

names=()
for spec in "${specs[@]}"; do names+=("${spec%%=*}"); done
"$IMAGES_DIR/build.sh" "${names[@]}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for spec in "${specs[@]}"; do
  name=${spec%%=*}
  dest=$name
  [ "$spec" != "$name" ] && dest=${spec#*=}
  # Default tag: latest (a ':' after the last '/' is a tag).
  case ${dest##*/} in *:*) ;; *) dest=$dest:latest ;; esac
  [ "$format" = v2s2 ] && [ "$name" = zstd ] && die "the zstd image cannot be pushed as Docker v2s2 (no zstd media type there)"
  src=oci:$IMAGE_CACHE/$name/oci:$name
  # --all: an image index is pushed with every image it lists.
  skopeo copy --quiet --all --dest-tls-verify=false "${fmt_args[@]}" --digestfile "$tmp/digest" \
    "$src" "docker://$registry/$dest" ||
    die "skopeo copy $src -> docker://$registry/$dest failed (is the registry running? infra/local/registry.sh status)"
  echo "$registry/$dest $(cat "$tmp/digest")"
done
