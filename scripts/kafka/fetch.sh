#!/usr/bin/env bash
# Fetches the pinned Apache Kafka release (broker, kafka-tools, kafka-clients, kafka-streams and their runtime
# dependencies) through Maven into a cache outside the work tree, and prints the cache folder.
# Idempotent: with a warm cache it only compares a stamp and returns.
#   SLUICE_KAFKA_CACHE  where the cache lives (default: $XDG_CACHE_HOME/sluice, else ~/.cache/sluice)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pom="$here/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
cache="${SLUICE_KAFKA_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/sluice}/kafka-$version"
stamp="$(sha256sum "$pom" | cut -c1-16)"

if [ -f "$cache/.stamp" ] && [ "$(cat "$cache/.stamp")" = "$stamp" ]; then
  echo "$cache"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch-kafka: Maven (mvn) is not installed; install it (Debian: apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch-kafka: Java is not installed; Kafka $version needs Java 17 or newer" >&2; exit 1; }

echo "fetch-kafka: resolving Apache Kafka $version and its runtime dependencies through Maven" >&2
tmp="$(mktemp -d "${cache}.XXXXXX" 2>/dev/null || { mkdir -p "$(dirname "$cache")"; mktemp -d "${cache}.XXXXXX"; })"
trap 'rm -rf "$tmp"' EXIT
mvn -B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >&2
cp "$here/log4j2.yaml" "$tmp/log4j2.yaml"
echo "$version" >"$tmp/version"
echo "$stamp" >"$tmp/.stamp"
# Swap in whole, so a half-finished fetch is never mistaken for a cache.
rm -rf "$cache"
mv "$tmp" "$cache"
trap - EXIT
echo "fetch-kafka: $(ls "$cache/libs" | wc -l) jars in $cache" >&2
echo "$cache"
