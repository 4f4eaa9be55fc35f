#!/usr/bin/env bash
# One Apache Ignite 2.x node on this machine's Java 17, for development and tests: loopback only,
# persistence off, a small heap, the thin-client port pyignite talks to. The caches it serves are
# created by the clients (services/common/cache/ignite.py) with their own settings.
#   scripts/ignite/start.sh [--thin-port 10800] [--discovery-port 47500] [--communication-port 47100]
#                           [--work DIR] [--heap 256m]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
THIN=10800 DISCOVERY=47500 COMMUNICATION=47100 HEAP=${IGNITE_HEAP:-256m}
WORK=""
while [ $# -gt 0 ]; do
  case "$1" in
    --thin-port) THIN=$2; shift 2;;
    --discovery-port) DISCOVERY=$2; shift 2;;
    --communication-port) COMMUNICATION=$2; shift 2;;
    --work) WORK=$2; shift 2;;
    --heap) HEAP=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
LIBS=$(bash "$HERE/fetch.sh")
WORK=${WORK:-$(mktemp -d -t ignite-XXXXXX)}
mkdir -p "$WORK"
sed -e "s/@THIN@/$THIN/g" -e "s/@DISCOVERY@/$DISCOVERY/g" -e "s/@COMMUNICATION@/$COMMUNICATION/g" \
    -e "s#@WORK@#$WORK/work#g" "$HERE/node.xml" > "$WORK/node.xml"
# Java 17: the module openings Ignite 2.x documents for JDK 11+ ("Running Ignite with Java 11 or later").
OPENS=(
  java.base/jdk.internal.access java.base/jdk.internal.misc java.base/sun.nio.ch java.base/sun.util.calendar
  java.management/com.sun.jmx.mbeanserver jdk.internal.jvmstat/sun.jvmstat.monitor
  java.base/sun.reflect.generics.reflectiveObjects jdk.management/com.sun.management.internal
  java.base/java.io java.base/java.nio java.base/java.net java.base/java.util java.base/java.util.concurrent
  java.base/java.util.concurrent.locks java.base/java.util.concurrent.atomic java.base/java.lang
  java.base/java.lang.invoke java.base/java.math java.sql/java.sql java.base/java.lang.reflect
  java.base/java.time java.base/java.text java.management/sun.management java.desktop/java.awt.font
)
FLAGS=()
for o in "${OPENS[@]}"; do FLAGS+=("--add-opens=$o=ALL-UNNAMED"); done
exec java "${FLAGS[@]}" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Djava.net.preferIPv4Stack=true -DIGNITE_UPDATE_NOTIFIER=false -DIGNITE_NO_ASCII=true -DIGNITE_QUIET=true \
  -DIGNITE_HOME="$WORK" -cp "$LIBS/*" org.apache.ignite.startup.cmdline.CommandLineStartup "$WORK/node.xml"
