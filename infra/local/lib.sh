# Shared by infra/local/up.sh and infra/local/down.sh (sourced, not run):
# where the local run keeps its files, and starting and stopping the
# services it owns. Everything lives under one data directory:
#
#   $LOCAL_DATA/
#     token, notify-secret   secrets, mode 0600
#     cli.env                `source` it to use tagwardenctl against this run
#     run.env                what the running demo uses (ports, profile)
#     config/<service>.toml  each service's config (0600: holds the secret)
#     state/<service>/       each service's data_dir (SQLite store)
#     cache/                 kept across runs: advisory database, layer cache
#     registry/<port>/       the local registry (infra/local/registry.sh)
#     logs/                  service, build, image and registry logs
#     run/<service>.pid

LOCAL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL_DATA=${TAGWARDEN_DATA:-$HOME/.local/share/tagwarden}/local
# The demo's bus namespace: its streams are DEMO_*, apart from the tests'
# (which use a fresh namespace each) and from an unprefixed deployment.
LOCAL_NAMESPACE=demo
LOCAL_NATS_URL=${TAGWARDEN_NATS_URL:-nats://127.0.0.1:4222}

# The services, in start order, and their gRPC ports (the CLI's defaults).
LOCAL_SERVICES=(licensing discovery tag-watcher scheduler scanner)
declare -A LOCAL_PORTS=(
  [discovery]=50051 [licensing]=50052 [tag-watcher]=50053
  [scheduler]=50054 [scanner]=50055
)
# Where the tag watcher takes the registry's push notifications.
LOCAL_NOTIFY_PORT=50063

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid of our running service $1, if any: the pid file's process, and
# only while it still runs our binary (a recycled pid is never ours).
service_pid() {
  local file=$LOCAL_DATA/run/$1.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "tagwarden-$1 " || return 1
  echo "$pid"
}

# Stops service $1 with SIGTERM (it finishes in-flight work within its
# shutdown grace), then SIGKILL if it is still there after $2 seconds.
stop_service() {
  local name=$1 grace=${2:-15} pid
  if ! pid=$(service_pid "$name"); then
    rm -f "$LOCAL_DATA/run/$name.pid"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "warning: $name (pid $pid) did not stop within ${grace}s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$LOCAL_DATA/run/$name.pid"
  note "stopped $name (pid $pid)"
}

# Stops every service, last started first.
stop_services() {
  local i
  for ((i = ${#LOCAL_SERVICES[@]} - 1; i >= 0; i--)); do
    stop_service "${LOCAL_SERVICES[$i]}"
  done
}

# The registry port the last run used (run.env), else the one asked for.
last_registry_port() {
  local port=
  [ -f "$LOCAL_DATA/run.env" ] && port=$(sed -n 's/^REGISTRY_PORT=//p' "$LOCAL_DATA/run.env")
  echo "${port:-${TAGWARDEN_LOCAL_REGISTRY_PORT:-5100}}"
}

# registry.sh with its files under our data directory.
local_registry() {
  TAGWARDEN_REGISTRY_DIR=$LOCAL_DATA/registry "$LOCAL_REPO/infra/local/registry.sh" "$@"
}
