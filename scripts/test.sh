#!/usr/bin/env bash
# `make test`: installs what is missing, then runs the whole suite. The fixtures start their own
# PostgreSQL, the service processes, and (for the operator) a real kube-apiserver.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [ -x scripts/kube/build-apiserver.sh ] || [ -f scripts/kube/build-apiserver.sh ]; then
  bash scripts/kube/build-apiserver.sh >/dev/null
fi
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
