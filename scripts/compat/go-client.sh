#!/usr/bin/env bash
# Builds the franz-go compatibility client (test/compat/go) into a cache outside the work tree and prints the
# binary's path. The binary is named by the hash of the module's sources (go.mod, go.sum, *.go), so a change
# rebuilds it. Idempotent: with a warm cache it only checks a path. Modules come through Go's module proxy as
# configured on the machine (go env GOPROXY).
#   SLUICE_CACHE  where the cache lives (default: $XDG_CACHE_HOME/sluice, else ~/.cache/sluice)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../../test/compat/go" && pwd)"
cache="${SLUICE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/sluice}"
hash="$(cd "$src" && cat go.mod go.sum *.go | sha256sum | cut -c1-16)"
bin="$cache/go-compat-$hash/compat-client"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "go-client: Go is not installed; install Go 1.26 or newer (see go.mod)" >&2; exit 1; }
echo "go-client: building $src into $bin" >&2
mkdir -p "$(dirname "$bin")"
tmp="$(mktemp "${bin}.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
(cd "$src" && go build -trimpath -o "$tmp" .) >&2
mv -f "$tmp" "$bin"
trap - EXIT
echo "$bin"
