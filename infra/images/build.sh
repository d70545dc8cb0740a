#!/usr/bin/env bash
# Builds the real test and demo images without a Docker daemon.
#
#   infra/images/build.sh [--force] [NAME...]    (all images by default)
#
# Each image NAME is made by recipes/NAME.sh into
#   ${TAGWARDEN_IMAGE_CACHE:-$HOME/.cache/tagwarden/images}/NAME/
#     oci/             OCI image layout, tag NAME
#     expected/        ground truth from the reference tools (see README.md)
#     recipe.hash      what the image was built from
#     build.log        the recipe's output
# An image is rebuilt only when it is missing or its recipe hash changed
# (or --force names it).
# The hash covers the recipe, lib.sh, ocitool.py, the files a recipe names on
# a "# inputs:" line, and the manifest digests of the images it names on its
# "# deps:" line, so rebuilding a base rebuilds what is stacked on it.
# A lock file serialises concurrent builds of one cache.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

force=0
names=()
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) names+=("$arg") ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  for r in "$IMAGES_DIR"/recipes/*.sh; do names+=("$(basename "$r" .sh)"); done
fi

need umoci umoci
need skopeo skopeo
need python3 python3
need dpkg-query dpkg

mkdir -p "$IMAGE_CACHE"
exec 9>"$IMAGE_CACHE/.lock"
if ! flock -n 9; then
  log "another build holds $IMAGE_CACHE/.lock; waiting"
  flock 9
fi

# header FIELD RECIPE: the words after "# FIELD:" in a recipe.
header() { sed -n "s/^# $1: *//p" "$2" | tr '\n' ' '; }

recipe_hash() {
  local name=$1 recipe=$IMAGES_DIR/recipes/$1.sh dep input
  {
    sha256sum "$recipe" "$IMAGES_DIR/lib.sh" "$IMAGES_DIR/ocitool.py" | awk '{print $1}'
    for input in $(header inputs "$recipe"); do
      input=${input//\$SHARED_DIR/$SHARED_DIR}
      [ -f "$input" ] || die "$name: input $input (from its '# inputs:' line) does not exist"
      sha256sum <"$input" | awk '{print $1}'
    done
    for dep in $(header deps "$recipe"); do
      echo "$dep $(cat "$IMAGE_CACHE/$dep/expected/manifest-digest")"
    done
  } | sha256sum | awk '{print $1}'
}

declare -A visited=() requested=()
# --force rebuilds the images named on the command line (or all), not
# their dependencies (those are rebuilt only when out of date).
for name in "${names[@]}"; do requested[$name]=1; done
summary=()

build_one() {
  local name=$1 recipe=$IMAGES_DIR/recipes/$1.sh dep hash dest work start ms secs
  [ -n "${visited[$name]:-}" ] && return 0
  visited[$name]=1
  [ -f "$recipe" ] || die "no recipe for image '$name' ($recipe); known: $(cd "$IMAGES_DIR/recipes" && ls | sed 's/\.sh$//' | tr '\n' ' ')"
  for dep in $(header deps "$recipe"); do build_one "$dep"; done
  hash=$(recipe_hash "$name")
  dest=$IMAGE_CACHE/$name
  if { [ $force = 0 ] || [ -z "${requested[$name]:-}" ]; } && [ -f "$dest/.complete" ] && [ "$(cat "$dest/recipe.hash" 2>/dev/null)" = "$hash" ]; then
    NAME=$name log "up to date ($dest)"
    summary+=("$name	cached	0")
    return 0
  fi
  work=$IMAGE_CACHE/.work/$name
  rm -rf "$work"
  mkdir -p "$work/out/expected" "$work/scratch"
  NAME=$name log "building (recipe $recipe)"
  start=$(date +%s%N)
  if ! NAME=$name OUT=$work/out WORK=$work/scratch IMAGE_CACHE=$IMAGE_CACHE SHARED_DIR=$SHARED_DIR \
    bash "$recipe" > >(tee "$work/out/build.log" >&2) 2>&1; then
    die "recipe for '$name' failed; log: $work/out/build.log (scratch kept in $work)"
  fi
  [ -f "$work/out/oci/index.json" ] || die "recipe for '$name' produced no OCI layout in $work/out/oci"
  [ -f "$work/out/expected/manifest-digest" ] || die "recipe for '$name' did not write expected/manifest-digest"
  echo "$hash" >"$work/out/recipe.hash"
  touch "$work/out/.complete"
  # Swap in the new image; readers never see a half-written one.
  rm -rf "$dest"
  mv "$work/out" "$dest"
  rm -rf "$work"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  secs=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
  printf '%s\n' "$secs" >"$dest/build-seconds"
  NAME=$name log "built in ${secs}s -> $dest"
  summary+=("$name	built	$secs")
}

for name in "${names[@]}"; do build_one "$name"; done

echo "image	status	seconds" >&2
printf '%s\n' "${summary[@]}" >&2
