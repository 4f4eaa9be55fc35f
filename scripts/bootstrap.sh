#!/usr/bin/env bash
# Installs what is missing on a fresh machine: PostgreSQL's server, the virtualenv with the
# locked dependencies, the generated gRPC code. Fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
# One bootstrap at a time per checkout: two at once (make run and make test, say) corrupt .venv.
exec 9>"$ROOT/.bootstrap.lock"
flock 9

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt_install postgresql
fi
# Debian's package starts a cluster of its own on 5432; we run ours, so keep it quiet.
if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q online; then
  pg_lsclusters -h | awk '$4=="online"{print $1, $2}' | while read -r v c; do pg_ctlcluster "$v" "$c" stop || true; done
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
STAMP=.venv/.installed-$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$STAMP" ]; then
  .venv/bin/pip install -q --upgrade pip
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 .venv/bin/pip install -q -r requirements.lock
  .venv/bin/pip install -q --no-deps -e .
  rm -f .venv/.installed-*
  touch "$STAMP"
fi
# Apache Ignite, the shared cache (docs/cache.md; `make run` with IGNITE=1 and the cache tests): Java 17
# and Maven from Debian, Ignite's jars from Maven Central once per version, outside the checkout.
command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null 2>&1 || apt_install maven
bash scripts/ignite/fetch.sh >/dev/null
# Generated code lives in gen/ (never edited by hand); put it and the checkout on the path.
SITE=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
printf '%s\n%s\n' "$ROOT/gen" "$ROOT" > "$SITE/loyalty_checkout.pth"
if [ ! -d gen ] || [ -n "$(find proto -name '*.proto' -newer gen 2>/dev/null | head -1)" ]; then
  .venv/bin/python scripts/gen_proto.py
  touch gen
fi
# The web app: Debian's Chromium for its browser tests (launched directly by Playwright, which
# downloads no browser), then the app's npm packages and build when they changed.
if [ ! -x /usr/lib/chromium/chromium-headless-shell ] && [ ! -x /usr/lib/chromium/chromium ]; then
  apt_install chromium-headless-shell
fi
bash scripts/build-ui.sh
