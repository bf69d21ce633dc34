#!/usr/bin/env bash
# Builds the pinned Jaeger release (the all-in-one `jaeger` binary: OTLP receivers, in-memory storage, query API
# and UI) from Go's module proxy into a cache outside the work tree, and prints the binary's path. The version and
# every dependency are pinned by jaeger-module/go.mod and go.sum; the cache folder is named by their hash, so a
# change rebuilds. Idempotent: with a warm cache it only checks a path. Modules come through the proxy configured on
# the machine (go env GOPROXY). A cold build takes several minutes on two cores.
#   --check       print the binary's path when it is built, else fail saying how to build it (never builds)
#   SLUICE_CACHE  where the cache lives (default: $XDG_CACHE_HOME/sluice, else ~/.cache/sluice)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
module="$here/jaeger-module"
version="$(sed -n 's:^\s*github.com/jaegertracing/jaeger \(v[^ ]*\).*:\1:p' "$module/go.mod")"
hash="$(cat "$module/go.mod" "$module/go.sum" | sha256sum | cut -c1-12)"
cache="${SLUICE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/sluice}/jaeger-${version#v}-$hash"
bin="$cache/jaeger"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "jaeger: Jaeger $version is not built in $cache; run \`bash scripts/tracing/jaeger.sh\` (or .ci/run)" >&2
  exit 1
fi

command -v go >/dev/null || { echo "jaeger: Go is not installed; install Go 1.24 or newer to build Jaeger $version" >&2; exit 1; }
echo "jaeger: building Jaeger $version into $cache (several minutes when cold)" >&2
mkdir -p "$cache"
tmp="$(mktemp -d "${cache}/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(cd "$module" && go build -trimpath -o "$tmp/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger) >&2
# Moved in whole, so a half-finished build is never mistaken for a cache.
mv -f "$tmp/jaeger" "$bin"
echo "$bin"
