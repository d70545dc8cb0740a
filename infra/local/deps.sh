#!/usr/bin/env bash
# Installs and starts what Tagwarden's tests and local run need, only where
# missing: NATS with JetStream on 127.0.0.1:4222, PostgreSQL on
# 127.0.0.1:5432 with trust authentication for local connections, and the
# tools that build and serve real test images (docker-registry, umoci,
# skopeo, mmdebstrap, htpasswd, Go) and docker-compose to validate
# compose/ (no Docker engine is needed for that). Safe to run again.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {
  local port=$1 name=$2
  for _ in $(seq 1 100); do
    listening "$port" && return 0
    sleep 0.2
  done
  echo "error: $name did not start listening on 127.0.0.1:$port" >&2
  return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v umoci >/dev/null || missing+=(umoci)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v go >/dev/null || missing+=(golang-go)
command -v docker-compose >/dev/null || missing+=(docker-compose)
# Reference implementations the version-ordering tests compare against.
command -v rpm >/dev/null || missing+=(rpm)
command -v ruby >/dev/null || missing+=(ruby)
command -v mvn >/dev/null || missing+=(maven)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! listening 4222; then
  echo "==> starting nats-server with JetStream on 127.0.0.1:4222"
  nats=$(command -v nats-server || echo /usr/sbin/nats-server)
  as_root mkdir -p /var/lib/nats-server
  as_root start-stop-daemon --start --oknodo --background --exec "$nats" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for_port 4222 nats-server
fi

if ! listening 5432; then
  echo "==> starting PostgreSQL on 127.0.0.1:5432"
  version=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # Tests connect as postgres over TCP without a password.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for_port 5432 PostgreSQL
fi

# The ECR provider tests run against moto's ECR API on loopback.
bash "$(dirname "$0")/moto.sh"
