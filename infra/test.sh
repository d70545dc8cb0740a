#!/usr/bin/env bash
# The test command (README, "Run the tests"): formatting, lints, then every
# test in the workspace. Needs NATS with JetStream on 127.0.0.1:4222 and
# PostgreSQL on 127.0.0.1:5432; `infra/local/deps.sh` starts them if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> compose file"
# No Docker engine runs here; `config` validates the file without one.
TAGWARDEN_TOKEN=check POSTGRES_PASSWORD=check TAGWARDEN_NOTIFY_SECRET=check \
  docker-compose -f compose/docker-compose.yml config -q

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> cargo test"
cargo test --workspace --locked --no-fail-fast
