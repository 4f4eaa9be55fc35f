#!/usr/bin/env bash
# Build a real kube-apiserver + kube-controller-manager (Kubernetes 1.20.2) offline
# from Debian's `kubernetes` source package and cache them OUTSIDE the checkout.
#
#   ${LOYALTY_CACHE:-$HOME/.cache/loyalty}/kube-1.20.2/bin/{kube-apiserver,kube-controller-manager}
#
# Idempotent: if both binaries are cached, prints the bin dir and exits (after
# making sure etcd is installed, since tests need it too). Otherwise builds in a
# temporary directory and moves the result into place atomically, so an
# interrupted build never leaves a half-filled cache.
#
# Needs root (apt-get) on Debian; only the Debian archive has to be reachable.
# The last line of stdout is the bin directory; progress goes to stderr.
set -euo pipefail

KUBE_VERSION=1.20.2
CACHE_ROOT="${LOYALTY_CACHE:-$HOME/.cache/loyalty}"
DEST="$CACHE_ROOT/kube-$KUBE_VERSION"
BIN_DIR="$DEST/bin"
BINARIES=(kube-apiserver kube-controller-manager)
BUILD_PKGS=(golang-go etcd-server rsync jq dpkg-dev golang-github-modern-go-reflect2-dev)

log() { echo "[build-apiserver] $*" >&2; }

have_cache() {
  local b
  for b in "${BINARIES[@]}"; do
    [[ -x "$BIN_DIR/$b" ]] || return 1
  done
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_update_once() {
  if [[ $apt_updated -eq 0 ]]; then
    log "apt-get update"
    as_root apt-get update -qq >&2
    apt_updated=1
  fi
}

# Install the given Debian packages, skipping those already installed.
# Runs `apt-get update` only when a package has no install candidate yet.
ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$p")
    fi
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  for p in "${missing[@]}"; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then
      apt_update_once
      break
    fi
  done
  log "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
}

ensure_etcd() {
  if ! command -v etcd >/dev/null 2>&1 && [[ ! -x /usr/bin/etcd ]]; then
    ensure_pkgs etcd-server
  fi
  # Debian's etcd-server enables a system-wide etcd service on install; tests
  # start their own etcd, so the packaged one is not needed (harmless if running).
}

if have_cache; then
  ensure_etcd
  echo "$BIN_DIR"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
# Serialise concurrent builds (e.g. two test sessions on a fresh machine).
exec 9>"$CACHE_ROOT/.kube-$KUBE_VERSION.lock"
flock 9
if have_cache; then   # someone else finished while we waited
  ensure_etcd
  echo "$BIN_DIR"
  exit 0
fi

start_ts=$(date +%s)
ensure_pkgs "${BUILD_PKGS[@]}"
ensure_etcd

# We hold the lock, so any earlier build dir is debris from a killed build.
rm -rf "$CACHE_ROOT"/.build-kube-"$KUBE_VERSION".*
WORK="$(mktemp -d "$CACHE_ROOT/.build-kube-$KUBE_VERSION.XXXXXX")"
cleanup() {
  if [[ "${KEEP_KUBE_BUILD:-0}" == 1 ]]; then
    log "keeping build dir $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP   # run the EXIT trap on signals too

# ---- fetch the Debian source package with a private apt configuration --------
# A deb-src line for the machine's own Debian release, in private list/cache dirs
# so the system apt state is not touched.
. /etc/os-release
CODENAME="${VERSION_CODENAME:-bookworm}"
MIRROR=""
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  # deb822: first URIs: of a stanza whose Suites contain the codename
  MIRROR="$(awk -v c="$CODENAME" '
      /^[[:space:]]*$/ { if (u != "" && s ~ ("(^|[[:space:]])" c "([[:space:]]|$)")) { print u; exit } u=""; s="" ; next}
      /^URIs:/   { u=$2 }
      /^Suites:/ { $1=""; s=$0 }
      END { if (u != "" && s ~ ("(^|[[:space:]])" c "([[:space:]]|$)")) print u }' "$f" | head -n1)"
  [[ -n "$MIRROR" ]] && break
done
if [[ -z "$MIRROR" ]]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    MIRROR="$(awk -v c="$CODENAME" '$1=="deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                 if ($(i+1)==c) { print $i; exit } }' "$f")"
    [[ -n "$MIRROR" ]] && break
  done
fi
shopt -u nullglob
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
OPTS=""
[[ -f "$KEYRING" ]] && OPTS="[signed-by=$KEYRING] "

APTDIR="$WORK/apt"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/parts" "$WORK/src"
echo "deb-src ${OPTS}${MIRROR} ${CODENAME} main" >"$APTDIR/sources.list"
log "using: $(cat "$APTDIR/sources.list")"
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APTDIR/sources.list"
  -o "Dir::Etc::SourceParts=$APTDIR/parts"
  -o "Dir::State::Lists=$APTDIR/lists"
  -o "Dir::Cache=$APTDIR/cache"
  -o "APT::Sandbox::User=root"
)
apt-get "${APT_OPTS[@]}" update -qq >&2
( cd "$WORK/src" && apt-get "${APT_OPTS[@]}" source --download-only -qq kubernetes >&2 )
dsc="$(ls "$WORK"/src/kubernetes_*.dsc | head -n1)"
log "extracting $(basename "$dsc")"
dpkg-source --no-check -x "$dsc" "$WORK/kubernetes" >&2
SRC="$WORK/kubernetes"
head -n1 "$SRC/debian/changelog" | grep -qF "$KUBE_VERSION" \
  || log "warning: source package is not $KUBE_VERSION: $(head -n1 "$SRC/debian/changelog")"

# ---- patch: vendored reflect2 1.0.1 crashes under Go >= 1.18 ------------------
R2=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -d "$R2" ]] || { log "missing $R2"; exit 1; }
rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
cp -rL "$R2" "$SRC/vendor/github.com/modern-go/reflect2"
sed -i 's#^github.com/modern-go/reflect2 v1\.0\.1#github.com/modern-go/reflect2 v1.0.2#' \
  "$SRC/vendor/modules.txt" 2>/dev/null || true
sed -i 's#\(github.com/modern-go/reflect2\) v1\.0\.1$#\1 v1.0.2#' "$SRC/go.mod" 2>/dev/null || true

# ---- build, offline, with Debian's Go --------------------------------------------
# Debian's Go (1.19 on bookworm) builds 1.20.2; a newer toolchain elsewhere on
# PATH (e.g. /usr/local/go) must not be picked up.
export PATH="/usr/lib/go/bin:$PATH"
log "go: $(command -v go) $(go version)"
# Kubernetes 1.20's hack/lib/init.sh forces GO111MODULE=off and builds from a GOPATH it
# lays out under _output/ (everything comes from vendor/); the flags below keep any
# module-mode step offline too.
export GOFLAGS=-mod=vendor GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local
export GOCACHE="$WORK/gocache"
export KUBE_GIT_VERSION="v$KUBE_VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_COMMIT=debian
export KUBE_BUILD_PLATFORMS=linux/amd64
case "$(dpkg --print-architecture)" in
  arm64) KUBE_BUILD_PLATFORMS=linux/arm64 ;;
esac
log "make WHAT=cmd/kube-apiserver cmd/kube-controller-manager (several minutes)"
make -C "$SRC" WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2

OUT="$SRC/_output/bin"
[[ -d "$OUT" ]] || OUT="$SRC/_output/local/bin/${KUBE_BUILD_PLATFORMS%/*}/${KUBE_BUILD_PLATFORMS#*/}"
STAGE="$WORK/stage"
mkdir -p "$STAGE/bin"
for b in "${BINARIES[@]}"; do
  install -m 0755 "$OUT/$b" "$STAGE/bin/$b"
done
"$STAGE/bin/kube-apiserver" --version >&2

# ---- atomic install into the cache ---------------------------------------------
rm -rf "$DEST"            # a dir without both binaries is not a valid cache
mv -T "$STAGE" "$DEST"
log "built in $(( $(date +%s) - start_ts ))s"
echo "$BIN_DIR"
