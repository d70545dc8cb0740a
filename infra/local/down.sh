#!/usr/bin/env bash
# Stops what infra/local/up.sh started: the five services and the local
# registry. NATS (and PostgreSQL) stay up: infra/local/deps.sh started them
# for the tests too, and they hold nothing of the demo but its DEMO_*
# streams, which the next up.sh replaces.
#
#   infra/local/down.sh           stop; keep data, logs and caches
#   infra/local/down.sh --purge   also delete the demo's streams and its
#                                 data directory (caches included)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

purge=0
case ${1:-} in
  '') ;;
  --purge) purge=1 ;;
  -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument $1 (expected --purge)" ;;
esac

step "stopping the services"
stop_services
step "stopping the registry"
port=$(last_registry_port)
local_registry stop "$port" | sed 's/^/    /'

if [ "$purge" = 1 ]; then
  step "purging the demo's streams and $LOCAL_DATA"
  if listening 4222 || [ -n "${TAGWARDEN_NATS_URL:-}" ]; then
    python3 "$LOCAL_REPO/infra/local/jetstream.py" delete "$LOCAL_NAMESPACE" "$LOCAL_NATS_URL" ||
      die "could not delete the $LOCAL_NAMESPACE streams on $LOCAL_NATS_URL"
  fi
  rm -rf "$LOCAL_DATA"
fi
note "done"
