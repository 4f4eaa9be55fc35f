#!/usr/bin/env bash
# Apache Ignite's jars (not on PyPI or Debian) from Maven Central, once per version, into a cache
# outside the checkout: ~/.cache/loyalty/ignite-<version>/libs. Prints that directory.
set -euo pipefail
VERSION=${IGNITE_VERSION:-2.16.0}
CACHE=${LOYALTY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loyalty}
DEST="$CACHE/ignite-$VERSION"
if [ -f "$DEST/.complete" ]; then
  echo "$DEST/libs"; exit 0
fi
command -v java >/dev/null || { echo "Ignite needs Java 17 (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "fetching Ignite needs Maven (apt-get install maven)" >&2; exit 1; }
mkdir -p "$CACHE"
exec 8>"$CACHE/.ignite-$VERSION.lock"; flock 8  # two fetches at once (test + run) share one download
if [ ! -f "$DEST/.complete" ]; then
  WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
  # ignite-core and ignite-spring (the XML configuration): 11 jars, about 18 MB.
  cat > "$WORK/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>loyalty</groupId><artifactId>ignite-node</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.ignite</groupId><artifactId>ignite-core</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.ignite</groupId><artifactId>ignite-spring</artifactId><version>$VERSION</version></dependency>
  </dependencies>
</project>
POM
  echo "fetching Apache Ignite $VERSION from Maven Central into $DEST" >&2
  (cd "$WORK" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$WORK/libs" >&2)
  rm -rf "$DEST"; mkdir -p "$DEST"; mv "$WORK/libs" "$DEST/libs"
  touch "$DEST/.complete"
fi
echo "$DEST/libs"
