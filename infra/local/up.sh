#!/usr/bin/env bash
# Runs Tagwarden locally, end to end, on real images: the README's "run the
# main job" command.
#
#   infra/local/up.sh [--advisories DIR|ZIP|URL] [--release | --debug]
#
# What it does, in order (each step says what failed when it fails):
#   1. installs and starts what is missing with infra/local/deps.sh: NATS
#      with JetStream, docker-registry and the image tools this run uses,
#      and what only the tests use (PostgreSQL, installed and started on
#      127.0.0.1:5432 although this run's services keep SQLite stores;
#      moto, docker-compose, the version-ordering reference tools); then
#      checks JetStream answers;
#   2. builds the workspace once (debug by default, --release for an
#      optimised build; one target dir, so later runs are incremental);
#   3. stops the services of an earlier run and resets the demo's state
#      (stores, bus streams, registry contents), keeping the caches
#      (build, images, advisory database, layer cache);
#   4. starts a local registry on its own port (TAGWARDEN_LOCAL_REGISTRY_PORT,
#      default 5100) that sends push notifications to the tag watcher;
#   5. starts the five services with SQLite stores under one data
#      directory and a generated API token (file mode 0600);
#   6. imports the advisory database (default ../shared/vulndata/osv next
#      to the clone; skipped when the same source was imported before);
#   7. builds and pushes the demo images (infra/images), adds an
#      integration for the registry and targets with tag rules, then shows
#      the discovery table, the scans and the issues;
#   8. pushes a fixed image under a tag the rule matches and shows the move
#      detected, the re-scan and the issues marked fixed.
# Progress and results go to the terminal; logs go to files under
# ${TAGWARDEN_DATA:-~/.local/share/tagwarden}/local/logs. Stop it all with
# infra/local/down.sh. Running it again restarts everything cleanly.
#
# Environment: TAGWARDEN_DATA (data root), TAGWARDEN_ADVISORIES (same as
# --advisories), TAGWARDEN_SHARED (the directory holding vulndata/, when it
# is not ../shared), TAGWARDEN_LOCAL_REGISTRY_PORT, TAGWARDEN_PROFILE
# (debug|release), TAGWARDEN_WAIT (seconds any one wait may take, 600).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# The header above, up to the first line that is not a comment.
usage() { sed -n '2,/^[^#]/p' "$0" | sed -n 's/^# \{0,1\}//p'; }

advisories=${TAGWARDEN_ADVISORIES:-}
profile=${TAGWARDEN_PROFILE:-debug}
patience=${TAGWARDEN_WAIT:-600}
registry_port=${TAGWARDEN_LOCAL_REGISTRY_PORT:-5100}
while [ $# -gt 0 ]; do
  case $1 in
    --advisories) advisories=${2:?--advisories needs a directory, zip or URL}; shift 2 ;;
    --advisories=*) advisories=${1#--advisories=}; shift ;;
    --release) profile=release; shift ;;
    --debug) profile=debug; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done
case $profile in
  debug | release) ;;
  *) die "TAGWARDEN_PROFILE must be debug or release, got '$profile'" ;;
esac
[ -z "$advisories" ] && [ -d "$LOCAL_REPO/../shared/vulndata/osv" ] &&
  advisories=$(cd "$LOCAL_REPO/../shared/vulndata/osv" && pwd)
[ -n "$advisories" ] ||
  die "no advisory data: ../shared/vulndata/osv is not next to the clone; pass --advisories DIR|ZIP|URL (an OSV export)"

# The demo/stretch image is rebuilt from a real SBOM among the shared
# fixtures (vulndata/fixtures). They are found at TAGWARDEN_SHARED, else
# beside the clone (../shared), else beside an --advisories directory
# .../vulndata/osv. Checked now, not after the build.
if [ -z "${TAGWARDEN_SHARED:-}" ]; then
  if [ -d "$LOCAL_REPO/../shared/vulndata/fixtures" ]; then
    TAGWARDEN_SHARED=$(cd "$LOCAL_REPO/../shared" && pwd)
  elif [ -d "$advisories/../fixtures" ]; then
    TAGWARDEN_SHARED=$(cd "$advisories/../.." && pwd)
  fi
fi
stretch_sbom=vulndata/fixtures/osv-scanner/source-testdata/sbom-insecure/postgres-stretch.cdx.xml
[ -f "${TAGWARDEN_SHARED:-/nonexistent}/$stretch_sbom" ] ||
  die "the demo needs the shared fixtures (../shared/vulndata/fixtures next to the clone): set TAGWARDEN_SHARED to the directory that holds vulndata/ (looked for $stretch_sbom)"
export TAGWARDEN_SHARED

source "$(dirname "$0")/up/steps.sh"
source "$(dirname "$0")/up/demo.sh"

started_at=$SECONDS
mkdir -p "$LOCAL_DATA"/{config,state,cache,logs,run}
chmod 700 "$LOCAL_DATA"
logs=$LOCAL_DATA/logs
# Each run starts fresh logs; the previous run's are kept in logs/previous.
mkdir -p "$logs/previous"
find "$logs" -maxdepth 1 -name '*.log' -exec mv -f -t "$logs/previous" {} +

install_tools
build_workspace
reset_previous_run
start_registry
start_services
import_advisories
push_demo_images
connect_registry
add_targets
show_first_scans
push_fixed_image
summary
