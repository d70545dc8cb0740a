# The demo steps of infra/local/up.sh (sourced by it): real images pushed,
# the registry connected, targets added, scans and issues shown, then a
# fixed image pushed and the issues it fixes shown.

APP_RULE='production-*'
APP_TARGET="demo/app:$APP_RULE"
STRETCH_TARGET=demo/stretch:latest

push_demo_images() {
  step "demo images: build (cached after the first run) and push"
  local t=$SECONDS
  # build.sh is a no-op for images whose recipe did not change.
  logged "$logs/images.log" "$LOCAL_REPO/infra/images/build.sh" \
    bookworm-app bookworm-app-fixed go-stdlib stretch-postgres
  "$LOCAL_REPO/infra/images/push.sh" "$registry" \
    bookworm-app=demo/app:production-1 \
    go-stdlib=demo/go:latest \
    stretch-postgres=demo/stretch:latest 2>>"$logs/images.log" | sed 's/^/    pushed /' ||
    die "pushing the demo images to $registry failed (log: $logs/images.log)"
  note "($(took $t); log: $logs/images.log)"
}

# True once discovery lists every demo repository with a tag.
demo_images_listed() {
  ctl images list --limit 0 --output json 2>/dev/null | jq -e --arg r "$registry" '
    [.[] | select(.registry == $r and .tag != "") | .repository] | unique
    | contains(["demo/app", "demo/go", "demo/stretch"])' >/dev/null
}

connect_registry() {
  step "discovery: connect the local registry and list its images"
  ctl integrations add local-registry --provider oci --registry "$registry" | sed 's/^/    /'
  # A sync now rather than at the next interval.
  ctl integrations refresh local-registry >/dev/null
  wait_for "discovery to list demo/app, demo/go and demo/stretch" demo_images_listed
  note "discovery lists demo/app, demo/go and demo/stretch"
}

# Adds target(s) for image $1 with rule $2. Discovery's news of the image
# reaches licensing over the bus, so "not known yet" is waited out;
# every other refusal stops the demo.
add_target() {
  local image=$1 rule=$2 deadline=$((SECONDS + patience)) out
  while ! out=$(ctl targets add "$image" --rule "$rule" 2>&1); do
    case $out in
      *"is not known"* | *"has no tags"*) ;;
      *) die "adding target $image --rule $rule: $out" ;;
    esac
    [ $SECONDS -lt $deadline ] || die "timed out waiting for licensing to know $image: $out"
    sleep 1
  done
}

# The id of the live target named $1.
target_id() {
  ctl targets list --output json | jq -r --arg n "$1" \
    'first(.[] | select(.name == $n and .deleted_at == null) | .id) // empty'
}

add_targets() {
  step "targets: $APP_TARGET and $STRETCH_TARGET"
  add_target "$registry/demo/app" "$APP_RULE"
  add_target "$registry/demo/stretch" latest
  app_id=$(target_id "$APP_TARGET")
  stretch_id=$(target_id "$STRETCH_TARGET")
  [ -n "$app_id" ] && [ -n "$stretch_id" ] || die "the targets were added but are not listed"
  ctl targets list | sed 's/^/    /'
  echo
  ctl licences | sed 's/^/    /'

  step "discovery table: every image and tag, and whether a target covers it"
  ctl images list | sed 's/^/    /'
}

# Scans of target $1 as JSON.
scans_json() { ctl scans list --target "$1" --limit 0 --output json; }

# Reports failed attempts once each (they are retried by the scheduler).
declare -A reported_failures=()
report_failures() {
  local id error
  while IFS=$'\t' read -r id error; do
    [ -n "$id" ] && [ -z "${reported_failures[$id]:-}" ] || continue
    reported_failures[$id]=1
    note "scan $id failed (the scheduler retries it): $error"
  done < <(jq -r '.[] | select(.status == "failed") | [.id, .error] | @tsv' <<<"$1")
}

# True once target $1 has a completed scan of tag $2 (any tag when empty).
scan_completed() {
  local json
  json=$(scans_json "$1" 2>/dev/null) || return 1
  report_failures "$json"
  jq -e --arg tag "${2:-}" \
    'any(.[]; .status == "completed" and ($tag == "" or .tag == $tag))' <<<"$json" >/dev/null
}

# True once a scan of target $1 for tag $2 exists (requested or later).
scan_requested() {
  scans_json "$1" 2>/dev/null | jq -e --arg tag "$2" 'any(.[]; .tag == $tag)' >/dev/null
}

# Open issues of target $1 (count).
issue_count() {
  ctl issues list --target "$1" --state "$2" --limit 0 --output json | jq length
}

show_first_scans() {
  step "scans: the first scan of each target"
  local t=$SECONDS
  wait_for "the first scan of $APP_TARGET to complete" scan_completed "$app_id" production-1
  wait_for "the first scan of $STRETCH_TARGET to complete" scan_completed "$stretch_id"
  note "both completed ($(took $t) after the targets were added)"
  ctl scans list | sed 's/^/    /'

  step "issues of $APP_TARGET (tag production-1)"
  ctl issues list --target "$app_id" --limit 0 | sed 's/^/    /'

  step "issues of $STRETCH_TARGET (Debian 9 packages, Debian's advisories)"
  ctl issues list --target "$stretch_id" --limit 20 2>&1 | sed 's/^/    /'
}

push_fixed_image() {
  step "tag move: push bookworm-app-fixed (urllib3 1.26.18) as demo/app:production-2"
  "$LOCAL_REPO/infra/images/push.sh" "$registry" bookworm-app-fixed=demo/app:production-2 \
    2>>"$logs/images.log" | sed 's/^/    pushed /' ||
    die "pushing the fixed image failed (log: $logs/images.log)"
  local t=$SECONDS
  wait_for "the tag watcher to notice production-2 (a scan of it requested)" \
    scan_requested "$app_id" production-2
  note "move detected and a scan requested $(took $t) after the push"
  wait_for "the re-scan of production-2 to complete" scan_completed "$app_id" production-2
  note "re-scan completed $(took $t) after the push"
  ctl scans list --target "$app_id" | sed 's/^/    /'

  step "issues of $APP_TARGET marked fixed by the re-scan"
  ctl issues list --target "$app_id" --state fixed --limit 0 | sed 's/^/    /'
  fixed_count=$(issue_count "$app_id" fixed)
  [ "$fixed_count" -gt 0 ] ||
    die "the re-scan of production-2 completed but marked no issue fixed (expected urllib3's PYSEC-2021-108, PYSEC-2023-192, PYSEC-2023-212)"
}

summary() {
  step "summary"
  local images targets scans app_open stretch_open in_use pool
  images=$(ctl images list --limit 0 --output json | jq length)
  targets=$(ctl targets list --output json | jq length)
  scans=$(ctl scans list --status completed --limit 0 --output json | jq length)
  app_open=$(issue_count "$app_id" open)
  stretch_open=$(issue_count "$stretch_id" open)
  read -r in_use pool < <(ctl licences --output json | jq -r '"\(.in_use) \(.pool_size)"')
  note "images discovered   $images (registry $registry)"
  note "targets             $targets ($APP_TARGET, $STRETCH_TARGET)"
  note "licences            $in_use in use of $pool"
  note "scans completed     $scans"
  note "issues              $APP_TARGET: $app_open open, $fixed_count fixed; $STRETCH_TARGET: $stretch_open open"
  note "wall time           $(took "$started_at")"
  echo
  note "Use the CLI on this run:  source $LOCAL_DATA/cli.env"
  note "  tagwardenctl issues list --target '$APP_TARGET' --state fixed"
  note "  tagwardenctl targets add $registry/demo/go --rule latest   # a new target"
  note "Logs: $logs/   Stop everything: infra/local/down.sh"
}
