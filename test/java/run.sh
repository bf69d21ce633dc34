#!/usr/bin/env bash
# Compiles the Java checks in test/java/src against the pinned Kafka jars (the cache scripts/kafka/fetch.sh
# fills, so the Kafka version lives only in scripts/kafka/pom.xml) and runs one class from them:
#   test/java/run.sh Checks <bootstrap> <prefix> <check>...
#   test/java/run.sh WordCount <bootstrap> <app-id> <first-input-file> <second-input-file>
#   test/java/run.sh --compile   (only compile; .ci/run does this once)
# The classes are compiled once per source change into the cache (a stamp of the sources and the Kafka
# version names the folder), so a warm run starts the JVM straight away.
#   JAVA_CHECKS_HEAP  JVM heap flags (default: -Xmx384m)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
main="${1:-}"
[ -n "$main" ] || { echo "usage: run.sh <Checks|WordCount|--compile> args... (see test/java/src/dev/sluice/checks)" >&2; exit 2; }
shift
command -v javac >/dev/null || { echo "java checks: javac is not installed; run .ci/run (it installs a JDK: default-jdk-headless)" >&2; exit 1; }
cache="$("$here/../../scripts/kafka/fetch.sh")"
sources=("$here"/src/dev/sluice/checks/*.java)
stamp="$( (cat "$cache/version"; cat "${sources[@]}") | sha256sum | cut -c1-16)"
classes="$cache/java-checks/$stamp"
if [ ! -d "$classes" ]; then
  echo "java checks: compiling ${#sources[@]} sources against Kafka $(cat "$cache/version")" >&2
  mkdir -p "$cache/java-checks"
  tmp="$(mktemp -d "$classes.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  javac -nowarn -Xlint:none -XDsuppressNotes -d "$tmp" -cp "$cache/libs/*" "${sources[@]}"
  # Moved in whole, so a run started meanwhile never sees half the classes; a concurrent compile that
  # finished first wins and this one's copy is dropped.
  mv -T "$tmp" "$classes" 2>/dev/null || true
  trap - EXIT
  rm -rf "$tmp"
fi
[ "$main" = --compile ] && { echo "$classes"; exit 0; }
# Short-lived JVMs: the C1 compiler alone and the serial collector start them sooner on two cores.
# shellcheck disable=SC2086
exec java ${JAVA_CHECKS_HEAP:--Xmx384m} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$here/../../scripts/kafka/tools-log4j2.yaml" \
  -cp "$classes:$cache/libs/*" "dev.sluice.checks.$main" "$@"
