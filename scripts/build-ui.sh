#!/usr/bin/env bash
# The web app (gateway/ui): `npm ci` when the lockfile changed, `npm run build` when a source changed.
# Node comes with the machine (NodeSource 20.20 here; Debian's own nodejs 18 is too old for Vite 8:
# never apt-get install nodejs). Stamps live in node_modules/, so a fresh clone builds once.
set -euo pipefail
cd "$(dirname "$0")/../gateway/ui"
if ! command -v node >/dev/null 2>&1; then
  echo "node is missing: the web app needs Node >= 20.19 (NodeSource or the Dockerfile's node stage)" >&2
  exit 1
fi
NODE_MAJOR_MINOR=$(node -p 'process.versions.node.split(".").slice(0,2).map(Number).join(" ")')
read -r major minor <<<"$NODE_MAJOR_MINOR"
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
  echo "node $(node --version) is too old: the web app needs >= 20.19" >&2
  exit 1
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
LOCK_STAMP=node_modules/.loyalty-lock-$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$LOCK_STAMP" ]; then
  echo "installing the web app's npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$LOCK_STAMP"
fi
INPUTS=()
for path in src public index.html vite.config.ts tsconfig.json codegen.ts schema.graphql package-lock.json; do
  [ -e "$path" ] && INPUTS+=("$path")
done
SOURCES=$(find "${INPUTS[@]}" -type f -not -name '*.test.*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum \
          | sha256sum | cut -c1-16)
BUILD_STAMP=node_modules/.loyalty-build-$SOURCES
if [ ! -f "$BUILD_STAMP" ] || [ ! -f dist/index.html ]; then
  echo "building the web app (npm run build)"
  npm run build --silent
  rm -f node_modules/.loyalty-build-*
  touch "$BUILD_STAMP"
fi
