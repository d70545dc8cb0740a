# The infrastructure steps of infra/local/up.sh (sourced by it): tools,
# build, reset, registry, services, advisory database. Each step prints one
# heading and a few lines; command output goes to a log file.

# Runs "$@" with its output in log $1; on failure shows the log's end.
logged() {
  local log=$1
  shift
  if ! "$@" >>"$log" 2>&1; then
    echo "--- last lines of $log:" >&2
    tail -n 25 "$log" >&2
    die "'$*' failed (full log: $log)"
  fi
}

# The CLI, against this run's services and token. TAGWARDEN_VULNDB is
# dropped: it would point `vulndb import` and `vulndb status` at a local
# database file instead of this run's scanner.
ctl() { env -u TAGWARDEN_VULNDB "$bin_dir/tagwardenctl" "$@"; }

# Fails naming the service when one of ours has exited, with its log's end.
check_services_alive() {
  local name
  for name in "${LOCAL_SERVICES[@]}"; do
    if ! service_pid "$name" >/dev/null; then
      echo "--- last lines of $logs/$name.log:" >&2
      tail -n 25 "$logs/$name.log" >&2
      die "the $name service exited (log: $logs/$name.log)"
    fi
  done
}

# Polls "$@" once a second until it succeeds; fails after $patience
# seconds naming what was awaited ($1), or at once if a service died.
wait_for() {
  local what=$1
  shift
  local deadline=$((SECONDS + patience))
  until "$@"; do
    [ "${services_started:-0}" = 1 ] && check_services_alive
    [ $SECONDS -lt $deadline ] || die "timed out after ${patience}s waiting for $what"
    sleep 1
  done
}

# Seconds since $1 (a $SECONDS value), for progress lines.
took() { echo "$((SECONDS - $1))s"; }

install_tools() {
  step "tools: NATS with JetStream, PostgreSQL, docker-registry, image tools"
  local t=$SECONDS
  # deps.sh installs only what is missing and starts NATS (and PostgreSQL,
  # which the tests need) when they are not listening.
  logged "$logs/deps.log" "$LOCAL_REPO/infra/local/deps.sh"
  local missing=()
  command -v jq >/dev/null || missing+=(jq)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    note "installing ${missing[*]}"
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    logged "$logs/deps.log" "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
  fi
  command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs), then run this again"
  command -v python3 >/dev/null || die "python3 not found (needed by infra/images and the JetStream check)"
  python3 "$LOCAL_REPO/infra/local/jetstream.py" check "$LOCAL_NATS_URL" ||
    die "NATS at $LOCAL_NATS_URL must run with JetStream (nats-server -js)"
  note "ready ($(took $t))"
}

build_workspace() {
  step "build: cargo build --workspace --bins ($profile)"
  local t=$SECONDS flags=()
  [ "$profile" = release ] && flags=(--release)
  # One target dir for the whole workspace: later runs (and the tests)
  # rebuild only what changed.
  (cd "$LOCAL_REPO" && logged "$logs/build.log" cargo build --workspace --bins "${flags[@]}")
  local target_dir
  target_dir=$(cd "$LOCAL_REPO" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
  bin_dir=$target_dir/$profile
  local name
  for name in "${LOCAL_SERVICES[@]}"; do
    [ -x "$bin_dir/tagwarden-$name" ] || die "the build made no $bin_dir/tagwarden-$name"
  done
  note "binaries in $bin_dir ($(took $t); log: $logs/build.log)"
}

reset_previous_run() {
  step "reset: stop an earlier run, clear the demo's state (caches kept)"
  stop_services
  local port taken=()
  for port in "${LOCAL_PORTS[@]}" "$LOCAL_NOTIFY_PORT"; do
    listening "$port" && taken+=("$port")
  done
  [ ${#taken[@]} -eq 0 ] ||
    die "ports ${taken[*]} are taken by processes this script did not start (another Tagwarden?); stop them first"
  # A fresh start: stores, streams and registry contents of the last run
  # would make the demo's "tag moved" step a no-op.
  rm -rf "$LOCAL_DATA/state"
  mkdir -p "$LOCAL_DATA/state"
  python3 "$LOCAL_REPO/infra/local/jetstream.py" delete "$LOCAL_NAMESPACE" "$LOCAL_NATS_URL" ||
    die "could not delete the $LOCAL_NAMESPACE streams on $LOCAL_NATS_URL"
  local old_port
  old_port=$(last_registry_port)
  logged "$logs/registry-script.log" local_registry stop "$old_port"
  [ "$old_port" = "$registry_port" ] || logged "$logs/registry-script.log" local_registry stop "$registry_port"
  rm -rf "$LOCAL_DATA/registry/$registry_port/storage"
  note "done"
}

# A secret in file $1 (0600), made once and kept, so a running CLI
# session's token survives a restart.
secret_file() {
  if [ ! -s "$1" ]; then
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$1")
  fi
  chmod 600 "$1"
  cat "$1"
}

start_registry() {
  step "registry: docker-registry on 127.0.0.1:$registry_port"
  notify_secret=$(secret_file "$LOCAL_DATA/notify-secret")
  # distribution cannot add a header per endpoint from registry.sh, so
  # the secret travels as ?token=, which the watcher also accepts.
  TAGWARDEN_REGISTRY_NOTIFY_URL="http://127.0.0.1:$LOCAL_NOTIFY_PORT/notifications/local-registry?token=$notify_secret" \
    logged "$logs/registry-script.log" local_registry start "$registry_port"
  chmod 600 "$LOCAL_DATA/registry/$registry_port/config.yml"
  registry=127.0.0.1:$registry_port
  printf 'REGISTRY_PORT=%s\nPROFILE=%s\n' "$registry_port" "$profile" >"$LOCAL_DATA/run.env"
  note "push notifications go to the tag watcher on 127.0.0.1:$LOCAL_NOTIFY_PORT"
  note "log: $LOCAL_DATA/registry/$registry_port/registry.log"
}

# The settings under [service] of each service, tuned for a demo: short
# sync and poll intervals instead of hours and minutes.
service_settings() {
  case $1 in
    discovery)
      echo "sync_interval = 30"
      ;;
    licensing)
      echo "pool_size = 10"
      ;;
    tag-watcher)
      cat <<EOF
poll_interval = 10
poll_jitter = 1

[service.notifications]
listen = "127.0.0.1:$LOCAL_NOTIFY_PORT"

[[service.notifications.sources]]
name = "local-registry"
format = "distribution"
registry = "$registry"
secret = "$notify_secret"
EOF
      ;;
    scheduler) ;;
    scanner)
      # Outside state/, so a reset keeps them: the import and the
      # per-layer analysis are the slow parts of a first run.
      cat <<EOF
advisory_db = "$LOCAL_DATA/cache/advisories.redb"
layer_cache = "$LOCAL_DATA/cache/layer-cache"
EOF
      ;;
  esac
}

write_config() {
  local name=$1 file=$LOCAL_DATA/config/$1.toml
  (
    umask 077
    cat >"$file" <<EOF
# Written by infra/local/up.sh on every run (edit the script, not this).
data_dir = "$LOCAL_DATA/state/$name"
shutdown_grace = 10

[nats]
url = "$LOCAL_NATS_URL"
namespace = "$LOCAL_NAMESPACE"

[grpc]
listen = "127.0.0.1:${LOCAL_PORTS[$name]}"

[telemetry]
log = "info"

[service]
EOF
    service_settings "$name" >>"$file"
  )
}

all_serving() { ctl status >/dev/null 2>&1; }

start_services() {
  step "services: ${LOCAL_SERVICES[*]}"
  local token name pid
  token=$(secret_file "$LOCAL_DATA/token")
  export TAGWARDEN_TOKEN=$token
  cat >"$LOCAL_DATA/cli.env" <<EOF
# source this file to use tagwardenctl against the local run
export TAGWARDEN_TOKEN="\$(cat '$LOCAL_DATA/token')"
export PATH="$bin_dir:\$PATH"
EOF
  # The services read only their config file and the token: TAGWARDEN_*
  # variables of this shell (meant for the CLI) must not override it.
  local clean_env=()
  while read -r var; do clean_env+=(-u "$var"); done < <(compgen -e | grep '^TAGWARDEN_' || true)
  for name in "${LOCAL_SERVICES[@]}"; do
    write_config "$name"
    mkdir -p "$LOCAL_DATA/state/$name"
    echo "--- $(date -Is) started by up.sh" >>"$logs/$name.log"
    # setsid: the services outlive this script and miss its Ctrl-C.
    # NO_COLOR: plain text in log files (tracing-subscriber honours it).
    env "${clean_env[@]}" TAGWARDEN_GRPC__TOKEN="$token" NO_COLOR=1 \
      setsid "$bin_dir/tagwarden-$name" --config "$LOCAL_DATA/config/$name.toml" \
      >>"$logs/$name.log" 2>&1 </dev/null &
    echo $! >"$LOCAL_DATA/run/$name.pid"
  done
  services_started=1
  wait_for "every service to report SERVING (tagwardenctl status)" all_serving
  ctl status | sed 's/^/    /'
  note "logs: $logs/<service>.log; token: $LOCAL_DATA/token"
}

# A fingerprint of an advisory source: a directory's file names, sizes
# and times; a file's size and time; a URL never matches (always import).
advisory_fingerprint() {
  if [ -d "$1" ]; then
    (cd "$1" && find . -type f -printf '%p %s %T@\n' | sort | sha256sum | cut -c1-64)
  elif [ -f "$1" ]; then
    stat -c '%n %s %Y' "$1" | sha256sum | cut -c1-64
  else
    echo "url-$RANDOM$RANDOM"
  fi
}

import_advisories() {
  step "advisory database: $advisories"
  local t=$SECONDS marker=$LOCAL_DATA/cache/advisories.source fingerprint
  fingerprint="$advisories $(advisory_fingerprint "$advisories")"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$fingerprint" ] &&
    ctl vulndb status --output json 2>/dev/null | jq -e '.advisory_count > 0' >/dev/null; then
    note "unchanged since the last import; kept:"
  else
    rm -f "$marker"
    ctl vulndb import "$advisories" >"$logs/vulndb-import.log" 2>&1 || {
      cat "$logs/vulndb-import.log" >&2
      die "the advisory import from $advisories failed (scanner log: $logs/scanner.log)"
    }
    echo "$fingerprint" >"$marker"
    note "imported ($(took $t)):"
  fi
  ctl vulndb status | sed 's/^/    /'
}
