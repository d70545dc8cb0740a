#!/usr/bin/env bash
# Runs a local OCI registry (Debian's `docker-registry`, CNCF distribution)
# on loopback for tests and the local demo.
#
#   infra/local/registry.sh start  [PORT]   start it (no-op when already running)
#   infra/local/registry.sh stop   [PORT]   stop it (no-op when not running)
#   infra/local/registry.sh status [PORT]   exit 0 when running, 3 when not
#
# PORT defaults to 5000. Everything for one port lives in
#   ${TAGWARDEN_REGISTRY_DIR:-${TAGWARDEN_DATA:-$HOME/.local/share/tagwarden}/registry}/PORT/
# as config.yml (written here), storage/, registry.pid and registry.log, so
# several registries (one per port) can run side by side without sharing blobs.
#
# The package's own config (/etc/docker/registry/config.yml) wants an htpasswd
# file and listens on all interfaces, so we always write our own. Deletes are
# enabled so tests can exercise "tag removed" and "image removed".
# TAGWARDEN_REGISTRY_NOTIFY_URL, when set, adds a notification endpoint so
# pushes are announced to a webhook (tag-watcher's push notifications).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|status [PORT]" >&2
  exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
cmd=$1
port=${2:-5000}
case $port in
  ''|*[!0-9]*) echo "error: registry port must be a number, got '$port'" >&2; exit 2 ;;
esac

base=${TAGWARDEN_REGISTRY_DIR:-${TAGWARDEN_DATA:-$HOME/.local/share/tagwarden}/registry}
dir=$base/$port
pidfile=$dir/registry.pid
logfile=$dir/registry.log
config=$dir/config.yml

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid in the pid file, if that process is still a docker-registry.
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse: only trust it when it is still our registry.
  grep -q docker-registry "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# /v2/ answers 200 (no auth configured) once the registry is serving.
healthy() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/v2/" 2>/dev/null; }

write_config() {
  mkdir -p "$dir/storage"
  {
    cat <<EOF
# Written by infra/local/registry.sh; rewritten on every start.
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$port
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    if [ -n "${TAGWARDEN_REGISTRY_NOTIFY_URL:-}" ]; then
      cat <<EOF
notifications:
  endpoints:
    - name: tagwarden
      url: ${TAGWARDEN_REGISTRY_NOTIFY_URL}
      timeout: 2s
      threshold: 5
      backoff: 2s
EOF
    fi
  } >"$config"
}

start() {
  command -v docker-registry >/dev/null || {
    echo "error: docker-registry not found (Debian package: docker-registry; infra/local/deps.sh installs it)" >&2
    exit 1
  }
  if pid=$(running_pid); then
    echo "registry already running on 127.0.0.1:$port (pid $pid, data $dir)"
    return 0
  fi
  if listening "$port"; then
    echo "error: 127.0.0.1:$port is already in use by another process; pick another port" >&2
    exit 1
  fi
  write_config
  # setsid: the registry must outlive this script and not get its signals.
  setsid docker-registry serve "$config" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if healthy; then
      echo "registry running on 127.0.0.1:$port (pid $(cat "$pidfile"), data $dir, log $logfile)"
      return 0
    fi
    if ! running_pid >/dev/null; then
      echo "error: docker-registry exited at start; last lines of $logfile:" >&2
      tail -n 20 "$logfile" >&2
      rm -f "$pidfile"
      exit 1
    fi
    sleep 0.1
  done
  echo "error: docker-registry did not answer on http://127.0.0.1:$port/v2/ within 10 s (log: $logfile)" >&2
  exit 1
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pidfile"
    echo "registry on port $port is not running"
    return 0
  fi
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "warning: registry pid $pid ignored SIGTERM for 5 s; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "registry on port $port stopped"
}

status() {
  local pid
  if pid=$(running_pid) && healthy; then
    echo "running on 127.0.0.1:$port (pid $pid, data $dir)"
    return 0
  fi
  echo "not running on port $port"
  return 3
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
