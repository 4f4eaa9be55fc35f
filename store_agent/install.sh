#!/bin/sh
# Installs the store agent on a till PC with one command:  sh install.sh [PREFIX]
# (PREFIX default /opt/loyalty-store-agent). Needs Python 3.11+ and the package index.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${1:-/opt/loyalty-store-agent}
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "store agent: Python 3.11 or newer needed")'
[ -x "$PREFIX/bin/python" ] || "$PYTHON" -m venv "$PREFIX"
"$PREFIX/bin/python" -m pip install -q --disable-pip-version-check -c "$HERE/constraints.txt" "$HERE"
mkdir -p "$PREFIX/etc"
[ -f "$PREFIX/etc/store-agent.env" ] || cp "$HERE/store-agent.env.example" "$PREFIX/etc/store-agent.env"
echo "installed $PREFIX/bin/store-agent"
echo "next: edit $PREFIX/etc/store-agent.env, then"
echo "  $PREFIX/bin/store-agent --env-file $PREFIX/etc/store-agent.env check-config"
echo "  $PREFIX/bin/store-agent --env-file $PREFIX/etc/store-agent.env run"
