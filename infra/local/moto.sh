#!/usr/bin/env bash
# Installs `moto_server` (PyPI moto[server]) where missing: the ECR API the
# registry crate's provider tests run against on loopback
# (`moto_server -H 127.0.0.1 -p PORT`). Safe to run again.
set -euo pipefail

if command -v moto_server >/dev/null; then
  exit 0
fi
echo "==> installing moto[server] (ECR API for tests)"
python3 -m pip install --quiet 'moto[server]'
if ! command -v moto_server >/dev/null; then
  echo "error: moto_server is not on PATH after pip install" >&2
  exit 1
fi
